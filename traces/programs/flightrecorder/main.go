//go:build go1.25

// Command flightrecorder writes a Go execution trace taken as a flight-recorder snapshot
// (runtime/trace.FlightRecorder, Go 1.25+): a small worker pool serves requests, and when
// one request is slow the program writes out the recent window of the trace.
//
// Usage: flightrecorder OUT.trace
//
// Built with Go older than 1.25 it exits with status 3 ("unsupported"), see old.go.
package main

import (
	"fmt"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: flightrecorder OUT.trace")
		os.Exit(2)
	}
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{
		MinAge:   200 * time.Millisecond,
		MaxBytes: 1 << 20,
	})
	if err := fr.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	slow := work()
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n, err := fr.WriteTo(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fr.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("flightrecorder: request %d was slow, wrote %d bytes\n", slow, n)
}

// work serves 200 requests with 4 workers; request 150 is slow. It returns the slow one.
func work() int {
	type request struct {
		id    int
		reply chan time.Duration
	}
	reqs := make(chan request)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range reqs {
				start := time.Now()
				s := 0
				for k := 0; k < 20000; k++ {
					s += k * r.id
				}
				if r.id == 150 {
					time.Sleep(20 * time.Millisecond)
				}
				_ = s
				r.reply <- time.Since(start)
			}
		}()
	}
	slow := -1
	reply := make(chan time.Duration)
	for id := 0; id < 200; id++ {
		reqs <- request{id, reply}
		if d := <-reply; d > 10*time.Millisecond && slow < 0 {
			slow = id
			// Keep going a little so the snapshot shows what came after, too.
		}
		if id%20 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	close(reqs)
	wg.Wait()
	return slow
}
