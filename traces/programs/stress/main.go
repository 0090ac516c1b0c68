// Command stress writes a large Go execution trace for benchmarks: 64 ping-pong goroutine
// pairs over unbuffered channels and a 128-goroutine token ring, with some allocation so
// the GC runs, for a given duration.
//
// Usage: stress OUT.trace DURATION   (DURATION as in Go, "1.5s", or plain seconds, "1.5")
//
// Size (measured with Go 1.27.3 on a 2-core machine): DURATION_FOR_100MB
package main

import (
	"fmt"
	"os"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: stress OUT.trace DURATION")
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
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := trace.Start(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	msgs, laps := work(d)
	trace.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("stress: %v, %d ping-pong messages, %d ring laps\n", d, msgs, laps)
}

const (
	pairs    = 64
	ringSize = 128
)

var sink atomic.Pointer[[]byte]

func work(d time.Duration) (msgs, laps int64) {
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

	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	return nmsgs.Load(), nlaps.Load()
}
