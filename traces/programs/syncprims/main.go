// Command syncprims writes a Go execution trace of the sync package's primitives under
// contention: Mutex, RWMutex, Cond (Signal and Broadcast), WaitGroup and Once.
//
// Usage: syncprims OUT.trace
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
		fmt.Fprintln(os.Stderr, "usage: syncprims OUT.trace")
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

func spin(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i * i
	}
	return s
}

func work() {
	var wg sync.WaitGroup

	// Mutex: four goroutines fight over one lock and hold it while working.
	var mu sync.Mutex
	counter := 0
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				mu.Lock()
				counter += spin(5000) & 1
				counter++
				if i%10 == 0 {
					time.Sleep(100 * time.Microsecond) // sleep holding the lock: others block
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	// RWMutex: many readers share the lock; an occasional writer excludes them all.
	var rw sync.RWMutex
	table := map[int]int{}
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				if g == 0 && i%8 == 0 {
					rw.Lock()
					table[i] = spin(20000)
					time.Sleep(200 * time.Microsecond)
					rw.Unlock()
					continue
				}
				rw.RLock()
				_ = table[i] + spin(2000)
				rw.RUnlock()
			}
		}(g)
	}
	wg.Wait()

	// Cond: a bounded queue with Signal to one waiter and a final Broadcast.
	var qmu sync.Mutex
	cond := sync.NewCond(&qmu)
	var queue []int
	closed := false
	consumed := 0
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				qmu.Lock()
				for len(queue) == 0 && !closed {
					cond.Wait()
				}
				if len(queue) == 0 && closed {
					qmu.Unlock()
					return
				}
				queue = queue[1:]
				consumed++
				qmu.Unlock()
				spin(3000)
			}
		}()
	}
	for i := 0; i < 100; i++ {
		qmu.Lock()
		queue = append(queue, i)
		qmu.Unlock()
		cond.Signal()
		if i%20 == 0 {
			time.Sleep(300 * time.Microsecond)
		}
	}
	qmu.Lock()
	closed = true
	qmu.Unlock()
	cond.Broadcast()
	wg.Wait()

	// WaitGroup as a start gate and Once run by many goroutines.
	var gate, done sync.WaitGroup
	var once sync.Once
	inits := 0
	gate.Add(1)
	for g := 0; g < 10; g++ {
		done.Add(1)
		go func() {
			defer done.Done()
			gate.Wait()
			once.Do(func() {
				inits++
				time.Sleep(500 * time.Microsecond)
			})
		}()
	}
	time.Sleep(time.Millisecond)
	gate.Done()
	done.Wait()

	fmt.Printf("syncprims: counter=%d entries=%d consumed=%d inits=%d\n", counter, len(table), consumed, inits)
}
