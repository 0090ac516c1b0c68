// Command stress writes a large Go execution trace for benchmarks: 64 ping-pong goroutine
// pairs over unbuffered channels and a 128-goroutine token ring, with some allocation so
// the GC runs, for a given duration.
//
// Usage: stress OUT.trace DURATION [MAXBYTES]
//
// DURATION is as in Go ("1.5s") or plain seconds ("1.5"). With MAXBYTES the program also
// stops once that much trace has been written (give a long DURATION to get a trace of about
// MAXBYTES whatever the machine's speed; the runtime's final flush adds up to ~12%).
//
// Size, measured with Go 1.27.3 on a 2-core machine (about 5.6 bytes per event; the
// throughput varies a lot from run to run with scheduling and the machine's load):
//
//	stress OUT 2.5s        87-122 MB, 15-21.5 M events (median ~100 MB, ~18 M events)
//	stress OUT 2s          66-164 MB, 12-29 M events
//	stress OUT 60s 9e7     90-102 MB, 16.2-18.4 M events, in 1.2-2.7 s  (~16 M events)
//	stress OUT 60s 1e8     100.1-100.3 MB, ~18 M events, in 1.5-2.5 s
//
// Count events with: go tool trace -d=footprint OUT | awk 'NR>2 && $2+0 {n+=$4} END {print n}'
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: stress OUT.trace DURATION [MAXBYTES]")
		os.Exit(2)
	}
	d, err := time.ParseDuration(os.Args[2])
	if err != nil {
		secs, ferr := strconv.ParseFloat(os.Args[2], 64)
		if ferr != nil {
			fmt.Fprintln(os.Stderr, "stress: bad duration:", os.Args[2])
			os.Exit(2)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	maxBytes := int64(-1)
	if len(os.Args) == 4 {
		n, err := strconv.ParseFloat(os.Args[3], 64) // accepts 1e8
		if err != nil || n <= 0 {
			fmt.Fprintln(os.Stderr, "stress: bad MAXBYTES:", os.Args[3])
			os.Exit(2)
		}
		maxBytes = int64(n)
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
	msgs, laps := work(func() bool {
		return time.Since(start) >= d || (maxBytes > 0 && cw.n.Load() >= maxBytes)
	})
	elapsed := time.Since(start)
	trace.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("stress: %v, %d bytes, %d ping-pong messages, %d ring laps\n",
		elapsed.Round(time.Millisecond), cw.n.Load(), msgs, laps)
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

const (
	pairs    = 64
	ringSize = 128
)

var sink atomic.Pointer[[]byte]

// work runs the load until done reports true (polled every 5 ms).
func work(done func() bool) (msgs, laps int64) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	var nmsgs, nlaps atomic.Int64

	// Ping-pong pairs: each message is a fresh small allocation.
	for p := 0; p < pairs; p++ {
		ping, pong := make(chan []byte), make(chan []byte)
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer close(ping)
			n := int64(0)
			for !stop.Load() {
				ping <- make([]byte, 64)
				b := <-pong
				if n%1024 == 0 {
					sink.Store(&b)
				}
				n++
			}
			nmsgs.Add(n)
		}()
		go func() {
			defer wg.Done()
			for b := range ping {
				b[0]++
				pong <- append(b[:0:0], b...)
			}
		}()
	}

	// Token ring: one token travels around 128 goroutines.
	ring := make([]chan int, ringSize)
	for i := range ring {
		ring[i] = make(chan int)
	}
	for i := 0; i < ringSize; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			in, out := ring[i], ring[(i+1)%ringSize]
			for tok := range in {
				if i == 0 {
					nlaps.Add(1)
					if stop.Load() {
						close(out)
						// The token is gone: the closes travel round the ring
						// and come back as the close of our own input.
						for range in {
						}
						return
					}
				}
				out <- tok + 1
			}
			if i != 0 {
				close(out)
			}
		}(i)
	}
	ring[0] <- 0

	for !done() {
		time.Sleep(5 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	return nmsgs.Load(), nlaps.Load()
}
