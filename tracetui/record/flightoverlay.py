"""The Go file `tracetui record --flight` adds to a program's package main (Go 1.25+).

It runs runtime/trace's FlightRecorder (the last `TRACETUI_FLIGHT_WINDOW` of trace, at most
`TRACETUI_FLIGHT_MAX_BYTES`) and writes the window to `TRACETUI_FLIGHT_DIR/NNN.gotrace` (then
`NNN.reason`; PID-NNN, as test binaries share DIR) when a trigger fires: a rule on the
program's own runtime/metrics, read every 100 ms (`TRACETUI_FLIGHT_RULES`, one `name op value
text` per line, values in ns, bytes or counts; `TRACETUI_FLIGHT_COOLDOWN` between two),
SIGUSR1, `W` on the control socket, or a higher count in `DIR/request` (tracetui's keys). The
file is written as `package main`; `go test` mode renames the package (`for_package`). A
log event (category `tracetui.flight`, "trigger: <reason>") marks the moment in the snapshot.
Its functions are `main.tracetuiRecordFlight*`, in a `zz_tracetui_record_` file, so the model
knows its goroutines as record's own (tracetui/model/injected.py).
"""

FLIGHT = r"""// Added by tracetui record --flight (go build -overlay); not part of the program's source.

// The file's own Go version: FlightRecorder is Go 1.25 API, whatever the module's go line
// says (go vet's stdversion check, which go test runs, holds the file to it).

//go:build go1.25

package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/signal"
	"runtime/metrics"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// tracetuiRecordFlightRule: a threshold on a runtime metric, read every 100 ms.
type tracetuiRecordFlightRule struct {
	name  string  // sched_latency.p99, sched_latency.max, gc_pause.max, goroutines, heap
	op    byte    // '>' or '<'
	value float64 // ns, count or bytes
	text  string  // as the user wrote it
}

var tracetuiRecordFlight struct {
	mu       sync.Mutex
	fr       *trace.FlightRecorder
	dir      string
	n        int
	stopped  bool
	cooldown time.Duration
	last     time.Time
}

func init() {
	dir := os.Getenv("TRACETUI_FLIGHT_DIR")
	if dir == "" {
		return
	}
	os.Unsetenv("TRACETUI_FLIGHT_DIR")
	window, _ := time.ParseDuration(os.Getenv("TRACETUI_FLIGHT_WINDOW"))
	maxBytes, _ := strconv.ParseUint(os.Getenv("TRACETUI_FLIGHT_MAX_BYTES"), 10, 64)
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: window, MaxBytes: maxBytes})
	if err := fr.Start(); err != nil {
		os.Stderr.WriteString("tracetui: cannot start the flight recorder: " + err.Error() + "\n")
		return
	}
	tracetuiRecordFlight.fr = fr
	tracetuiRecordFlight.dir = dir
	tracetuiRecordFlight.cooldown, _ = time.ParseDuration(os.Getenv("TRACETUI_FLIGHT_COOLDOWN"))
	tracetuiRecordExitHook(tracetuiRecordFlightStop)
	go tracetuiRecordFlightWatch(tracetuiRecordFlightRules(os.Getenv("TRACETUI_FLIGHT_RULES")))
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			tracetuiRecordFlightSnapshot("SIGUSR1", false)
		}
	}()
	if s := os.Getenv("TRACETUI_CTL_FD"); s != "" {
		os.Unsetenv("TRACETUI_CTL_FD")
		if fd, err := strconv.Atoi(s); err == nil {
			syscall.CloseOnExec(fd)
			syscall.SetNonblock(fd, true)
			go tracetuiRecordFlightServe(os.NewFile(uintptr(fd), "tracetui-control"))
		}
	}
}

// tracetuiRecordFlightRules parses "name op value text" rules, one per line.
func tracetuiRecordFlightRules(spec string) []tracetuiRecordFlightRule {
	var out []tracetuiRecordFlightRule
	for _, line := range strings.Split(spec, "\n") {
		f := strings.SplitN(line, " ", 4)
		if len(f) != 4 || len(f[1]) != 1 {
			continue
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			continue
		}
		out = append(out, tracetuiRecordFlightRule{f[0], f[1][0], v, f[3]})
	}
	return out
}

// tracetuiRecordFlightHist: what a cumulative histogram added since the last read.
type tracetuiRecordFlightHist struct{ prev []uint64 }

func (h *tracetuiRecordFlightHist) delta(v *metrics.Float64Histogram) []uint64 {
	d := make([]uint64, len(v.Counts))
	for i, c := range v.Counts {
		if i < len(h.prev) {
			d[i] = c - h.prev[i]
		} else {
			d[i] = c
		}
	}
	h.prev = append(h.prev[:0], v.Counts...)
	return d
}

// tracetuiRecordFlightQuantile: the upper bound (ns) of the bucket holding quantile q of counts.
func tracetuiRecordFlightQuantile(buckets []float64, counts []uint64, q float64) float64 {
	var n uint64
	for _, c := range counts {
		n += c
	}
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			hi := buckets[i+1]
			if math.IsInf(hi, 1) {
				hi = buckets[i]
			}
			return hi * 1e9
		}
	}
	return 0
}

func tracetuiRecordFlightWatch(rules []tracetuiRecordFlightRule) {
	samples := []metrics.Sample{
		{Name: "/sched/latencies:seconds"},
		{Name: "/sched/pauses/total/gc:seconds"},
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}
	var lat, pause tracetuiRecordFlightHist
	requested := tracetuiRecordFlightRequests()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		if n := tracetuiRecordFlightRequests(); n > requested { // tracetui asks (a key): every process snapshots
			requested = n
			tracetuiRecordFlightSnapshot("requested", false)
		}
		if len(rules) == 0 {
			continue
		}
		metrics.Read(samples)
		values := map[string]float64{}
		if samples[0].Value.Kind() == metrics.KindFloat64Histogram {
			h := samples[0].Value.Float64Histogram()
			d := lat.delta(h)
			values["sched_latency.p99"] = tracetuiRecordFlightQuantile(h.Buckets, d, 0.99)
			values["sched_latency.max"] = tracetuiRecordFlightQuantile(h.Buckets, d, 1)
		}
		if samples[1].Value.Kind() == metrics.KindFloat64Histogram {
			h := samples[1].Value.Float64Histogram()
			values["gc_pause.max"] = tracetuiRecordFlightQuantile(h.Buckets, pause.delta(h), 1)
		}
		if samples[2].Value.Kind() == metrics.KindUint64 {
			values["goroutines"] = float64(samples[2].Value.Uint64())
		}
		if samples[3].Value.Kind() == metrics.KindUint64 {
			values["heap"] = float64(samples[3].Value.Uint64())
		}
		tracetuiRecordFlightStatus(values)
		for _, r := range rules {
			v, ok := values[r.name]
			if !ok || (r.op == '>' && !(v > r.value)) || (r.op == '<' && !(v < r.value)) {
				continue
			}
			tracetuiRecordFlightSnapshot(fmt.Sprintf("%s (was %s)", r.text, tracetuiRecordFlightShow(r.name, v)), true)
			break
		}
	}
}

// tracetuiRecordFlightRequests: the count tracetui keeps in DIR/request (0 if none yet).
func tracetuiRecordFlightRequests() int {
	b, err := os.ReadFile(tracetuiRecordFlight.dir + "/request")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// tracetuiRecordFlightStatus writes the metrics the rules watch to DIR/status, for
// tracetui's status line (a whole file each time: written aside, then renamed).
func tracetuiRecordFlightStatus(values map[string]float64) {
	var b strings.Builder
	for _, name := range []string{"sched_latency.p99", "sched_latency.max", "gc_pause.max", "goroutines", "heap"} {
		if v, ok := values[name]; ok {
			b.WriteString(name + "=" + tracetuiRecordFlightShow(name, v) + "\n")
		}
	}
	tmp := tracetuiRecordFlight.dir + "/status.tmp"
	if os.WriteFile(tmp, []byte(b.String()), 0o644) == nil {
		os.Rename(tmp, tracetuiRecordFlight.dir+"/status")
	}
}

func tracetuiRecordFlightShow(name string, v float64) string {
	switch {
	case strings.HasPrefix(name, "sched_latency") || strings.HasPrefix(name, "gc_pause"):
		return time.Duration(v).String()
	case name == "heap":
		return fmt.Sprintf("%.1fMB", v/1e6)
	}
	return fmt.Sprintf("%.0f", v)
}

// tracetuiRecordFlightSnapshot writes the window to DIR/NNN.gotrace (a log event marks the
// moment of the trigger in it), then DIR/NNN.reason; a rule's trigger waits out the cool-down.
func tracetuiRecordFlightSnapshot(reason string, rule bool) {
	t := &tracetuiRecordFlight
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped || t.fr == nil {
		return
	}
	now := time.Now()
	if rule && !t.last.IsZero() && now.Sub(t.last) < t.cooldown {
		return
	}
	t.last = now
	t.n++
	trace.Log(context.Background(), "tracetui.flight", "trigger: "+reason)
	base := fmt.Sprintf("%s/%d-%03d", t.dir, os.Getpid(), t.n) // (go test: several binaries share DIR)
	f, err := os.Create(base + ".gotrace.tmp")
	if err != nil {
		os.Stderr.WriteString("tracetui: cannot write a snapshot: " + err.Error() + "\n")
		return
	}
	_, err = t.fr.WriteTo(f)
	f.Close()
	if err != nil {
		os.Stderr.WriteString("tracetui: cannot write a snapshot: " + err.Error() + "\n")
		os.Remove(base + ".gotrace.tmp")
		return
	}
	os.WriteFile(base+".reason", []byte(reason+"\n"), 0o644)
	os.Rename(base+".gotrace.tmp", base+".gotrace")
}

func tracetuiRecordFlightStop() {
	t := &tracetuiRecordFlight
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped && t.fr != nil {
		t.stopped = true
		t.fr.Stop()
	}
}

// tracetuiRecordFlightServe answers the recorder: W = snapshot now, C = (a checkpoint: nothing
// to do), S or EOF = stop; then K.
func tracetuiRecordFlightServe(ctl *os.File) {
	var b [1]byte
	for {
		_, err := ctl.Read(b[:])
		if err != nil || b[0] == 'S' {
			tracetuiRecordFlightStop()
			ctl.Write([]byte{'K'})
			ctl.Close()
			return
		}
		if b[0] == 'W' {
			tracetuiRecordFlightSnapshot("requested", false)
		}
		ctl.Write([]byte{'K'})
	}
}
"""


def for_package(source: str, name: str) -> str:
    """An overlay file's source for package `name` (go test mode adds it to the package under test)."""
    return source.replace("\npackage main\n", f"\npackage {name}\n", 1)
