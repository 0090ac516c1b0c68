// Command generations writes a Go execution trace that spans several generations. The
// runtime starts a new trace generation about once a second (each generation is a
// self-contained unit with its own string and stack tables), so this program keeps a
// steady, light load running for about 2.5 s: a ticker-driven producer and two
// workers, giving 3 generations.
//
// Usage: generations OUT.trace
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

const duration = 2500 * time.Millisecond

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: generations OUT.trace")
		os.Exit(2)
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
	work()
	trace.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func work() {
	jobs := make(chan int, 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				s := 0
				for k := 0; k < 5000; k++ {
					s += k ^ j
				}
				mu.Lock()
				done++
				mu.Unlock()
			}
		}()
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	end := time.Now().Add(duration)
	ticks := 0
	for now := range tick.C {
		if now.After(end) {
			break
		}
		ticks++
		jobs <- ticks
		if ticks%100 == 0 {
			// Annotate each phase, so a viewer can check which generation it lands in.
			trace.Log(context.Background(), "phase", fmt.Sprint(ticks/100))
		}
	}
	close(jobs)
	wg.Wait()
	fmt.Printf("generations: %d ticks, %d jobs done\n", ticks, done)
}
