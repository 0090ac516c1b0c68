// Command manygoroutines writes a Go execution trace of 3000 short-lived goroutines,
// started in waves, each doing a little work, sometimes blocking on a channel, and exiting.
//
// Usage: manygoroutines OUT.trace
package main

import (
	"fmt"
	"os"
	"runtime/trace"
	"sync"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: manygoroutines OUT.trace")
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

const (
	total = 3000
	waves = 10
)

func work() {
	results := make(chan int, 64)
	var sum int
	collected := make(chan struct{})
	go func() {
		for v := range results {
			sum += v
		}
		close(collected)
	}()
	var wg sync.WaitGroup
	for w := 0; w < waves; w++ {
		for i := 0; i < total/waves; i++ {
			wg.Add(1)
			go func(n int) {
				defer wg.Done()
				s := 0
				for k := 0; k < 200+n%300; k++ {
					s += k ^ n
				}
				if n%5 == 0 {
					results <- s // may block while the collector is behind
				}
			}(w*(total/waves) + i)
		}
		wg.Wait()
	}
	close(results)
	<-collected
	fmt.Printf("manygoroutines: %d goroutines, sum=%d\n", total, sum)
}
