// Command gcstw writes a Go execution trace with garbage-collection pressure and
// stop-the-world pauses: a forced runtime.GC, allocation-driven GC cycles (with mark
// assists), and runtime.ReadMemStats, which stops the world, also while another goroutine
// allocates.
//
// Usage: gcstw OUT.trace
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gcstw OUT.trace")
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

type node struct {
	next *node
	data [48]byte
}

var sink []*node

// churn allocates lists of small objects and keeps a bounded window of them alive.
func churn(rounds, size int) int {
	live := make([]*node, 0, 8)
	n := 0
	for r := 0; r < rounds; r++ {
		var head *node
		for i := 0; i < size; i++ {
			head = &node{next: head}
			head.data[0] = byte(i)
			n++
		}
		if len(live) == cap(live) {
			live = live[1:]
		}
		live = append(live, head)
	}
	sink = live
	return n
}

func work() {
	var ms runtime.MemStats
	// A forced collection. After marking, runtime.GC waits for the sweep to finish by
	// yielding in a loop, and the background sweeper may spin yielding in step with it on
	// the other P: tens of thousands of events, a different number each run. On one P the
	// two take turns and finish at once, so the trace stays smaller and steadier.
	procs := runtime.GOMAXPROCS(1)
	runtime.GC()
	runtime.GOMAXPROCS(procs)
	runtime.ReadMemStats(&ms)

	// Allocation-driven cycles, with mark assists. One allocating goroutine, so a P stays
	// idle: when every P is busy, the background sweeper yields after every few spans,
	// thousands of events per cycle (and a lowered GC percent multiplies the cycles).
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		churn(100, 2000)
	}()
	wg.Wait()

	// ReadMemStats while another goroutine allocates: the stop-the-world preempts it.
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				churn(1, 2000)
			}
		}
	}()
	for i := 0; i < 5; i++ {
		runtime.ReadMemStats(&ms)
		time.Sleep(100 * time.Microsecond)
	}
	close(stop)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	fmt.Printf("gcstw: %d GC cycles, %d forced\n", ms.NumGC, ms.NumForcedGC)
}
