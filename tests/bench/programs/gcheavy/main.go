// Command gcheavy writes a GC-heavy Go execution trace for benchmarks: goroutines exchange
// messages over channels (ping-pong pairs and fan-in groups) and every hop allocates a new
// buffer, kept reachable for a few hops so the heap churns, with the GC percent set low so
// the collector runs hundreds of cycles. Go starts a trace generation about once a second,
// so a few seconds of run give a trace of few, long generations with a busy GC in each.
//
// Usage: gcheavy OUT.trace DURATION [MAXBYTES]
//
// DURATION is as in Go ("4s") or plain seconds ("4"). Without MAXBYTES the program runs for
// DURATION. With MAXBYTES it stops once that much trace has been written (the runtime's final
// flush adds a little more), and DURATION is a pace: the senders are held back while the
// trace is ahead of MAXBYTES/DURATION bytes per second, so the trace spans at least about
// DURATION (more on a slow or busy machine; at most 10x DURATION) whatever the machine.
// GOGC in the environment replaces the program's GC percent (gcPercent).
//
// Measured with Go 1.27.3 on a 2-core machine shared with other work (load average 2-6),
// where it writes 18-21 MB of trace a second whatever the GC percent (3 s unpaced: 52-64 MB,
// 10-12 M events, ~1,600 GC cycles): `gcheavy OUT 4s 1.1e8` wrote 110 MB, 21.5 M events,
// 2,320 GC cycles in 8 generations, in 8.6 s.
//
// Count events and GC cycles with:
//
//	go tool trace -d=footprint OUT | awk 'NR>2 && $2+0 {n+=$4} /^GCBegin/ {print "GC", $4} END {print n}'
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	gcPercent = 20  // heap goal: 20% over the live heap (at least 800 KB): a GC every few ms
	pairs     = 48  // ping-pong pairs
	groups    = 4   // fan-in groups
	fanIn     = 16  // producers per fan-in group
	msgSize   = 512 // bytes allocated per hop
	keep      = 16  // messages each goroutine keeps reachable (a ring)
)

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gcheavy OUT.trace DURATION [MAXBYTES]")
		os.Exit(2)
	}
	d, err := time.ParseDuration(os.Args[2])
	if err != nil {
		secs, ferr := strconv.ParseFloat(os.Args[2], 64)
		if ferr != nil {
			fmt.Fprintln(os.Stderr, "gcheavy: bad duration:", os.Args[2])
			os.Exit(2)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	maxBytes := int64(-1)
	if len(os.Args) == 4 {
		n, err := strconv.ParseFloat(os.Args[3], 64) // accepts 1.1e8
		if err != nil || n <= 0 {
			fmt.Fprintln(os.Stderr, "gcheavy: bad MAXBYTES:", os.Args[3])
			os.Exit(2)
		}
		maxBytes = int64(n)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cw := &countingWriter{w: f}
	if err := trace.Start(cw); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	var gate pacer
	msgs := work(&gate, func() bool {
		el := time.Since(start)
		if maxBytes < 0 {
			return el >= d
		}
		n := cw.n.Load()
		if n >= maxBytes || el >= 10*d {
			return true
		}
		// Ahead of the pace: hold the senders back until the trace is behind it again.
		gate.hold(float64(n) > float64(maxBytes)*el.Seconds()/d.Seconds())
		return false
	})
	elapsed := time.Since(start)
	trace.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("gcheavy: %v, %d bytes, %d messages\n", elapsed.Round(time.Millisecond), cw.n.Load(), msgs)
}

// countingWriter counts the trace bytes written so far.
type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// pacer lets the senders go while open; closed, a sender waits for it to open again.
type pacer struct {
	mu     sync.Mutex
	closed bool
	open   chan struct{}
}

func (p *pacer) hold(close bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if close && !p.closed {
		p.closed, p.open = true, make(chan struct{})
	} else if !close && p.closed {
		p.closed = false
		closeChan(p.open)
	}
}

func closeChan(c chan struct{}) { close(c) }

// wait blocks while the pacer is closed.
func (p *pacer) wait() {
	p.mu.Lock()
	c := p.open
	closed := p.closed
	p.mu.Unlock()
	if closed {
		<-c
	}
}

// ring keeps a goroutine's last messages reachable.
type ring struct {
	buf [keep][]byte
	i   int
}

func (r *ring) put(b []byte) {
	r.buf[r.i%keep] = b
	r.i++
}

// work runs the load until done reports true (polled every 2 ms); the number of messages sent.
func work(gate *pacer, done func() bool) int64 {
	var stop atomic.Bool
	var wg sync.WaitGroup
	var nmsgs atomic.Int64

	// Ping-pong pairs: every hop is a fresh buffer, a copy of the one received.
	for p := 0; p < pairs; p++ {
		ping, pong := make(chan []byte), make(chan []byte)
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer close(ping)
			var r ring
			n := int64(0)
			b := make([]byte, msgSize)
			for !stop.Load() {
				if n%64 == 0 {
					gate.wait()
				}
				m := make([]byte, msgSize)
				copy(m, b)
				m[0]++
				ping <- m
				b = <-pong
				r.put(b)
				n++
			}
			nmsgs.Add(2 * n)
		}()
		go func() {
			defer wg.Done()
			var r ring
			for b := range ping {
				r.put(b)
				m := make([]byte, msgSize)
				copy(m, b)
				pong <- m
			}
		}()
	}

	// Fan-in: producers send fresh buffers to one collector over a small buffered channel.
	for g := 0; g < groups; g++ {
		in := make(chan []byte, 8)
		var prod sync.WaitGroup
		for i := 0; i < fanIn; i++ {
			prod.Add(1)
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				defer prod.Done()
				n := int64(0)
				for !stop.Load() {
					if n%64 == 0 {
						gate.wait()
					}
					m := make([]byte, msgSize)
					m[0] = byte(i)
					in <- m
					n++
				}
				nmsgs.Add(n)
			}(i)
		}
		go func() {
			prod.Wait()
			close(in)
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r ring
			sum := 0
			for b := range in {
				sum += int(b[0])
				r.put(b)
			}
			_ = sum
		}()
	}

	for !done() {
		time.Sleep(2 * time.Millisecond)
	}
	stop.Store(true)
	gate.hold(false)
	wg.Wait()
	return nmsgs.Load()
}
