// Command cpuprofile writes a Go execution trace recorded while the CPU profiler runs, so
// the trace holds CPU samples (with pprof labels), and it changes GOMAXPROCS (to 1 and
// back) and runs work on a goroutine locked to its OS thread (runtime.LockOSThread).
//
// Usage: cpuprofile OUT.trace
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: cpuprofile OUT.trace")
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
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	work()
	pprof.StopCPUProfile()
	trace.Stop()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

//go:noinline
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

// burn does CPU-bound work for about d of wall time.
func burn(d time.Duration) int {
	s := 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		s += fib(18)
	}
	return s
}

func work() {
	var wg sync.WaitGroup
	procs := runtime.GOMAXPROCS(0)

	// CPU-bound work in labelled goroutines: the profiler samples them every 10 ms.
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			pprof.Do(context.Background(), pprof.Labels("worker", fmt.Sprint(g)), func(context.Context) {
				burn(120 * time.Millisecond)
			})
		}(g)
	}
	wg.Wait()

	// Fewer Ps: three busy goroutines now share one P.
	runtime.GOMAXPROCS(1)
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			burn(30 * time.Millisecond)
		}()
	}
	wg.Wait()
	runtime.GOMAXPROCS(procs)

	// A goroutine locked to its thread, blocking and running on it.
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := 0; i < 5; i++ {
			burn(5 * time.Millisecond)
			time.Sleep(time.Millisecond)
		}
	}()
	// The main goroutine locked too, while another goroutine runs.
	runtime.LockOSThread()
	burn(20 * time.Millisecond)
	runtime.UnlockOSThread()
	wg.Wait()
	fmt.Printf("cpuprofile: GOMAXPROCS %d -> 1 -> %d\n", procs, runtime.GOMAXPROCS(0))
}
