// Command channels writes a Go execution trace of channel operations: unbuffered and
// buffered channels, select with timeouts and a default case, close and range.
//
// Usage: channels OUT.trace
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
		fmt.Fprintln(os.Stderr, "usage: channels OUT.trace")
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
	var wg sync.WaitGroup

	// Unbuffered ping-pong: every send blocks until the partner receives.
	ping, pong := make(chan int), make(chan int)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	for i := 0; i < 200; i++ {
		ping <- i
		<-pong
	}
	close(ping)
	for range pong {
	}

	// Buffered producer/consumers: senders block only when the buffer is full.
	jobs := make(chan int, 8)
	results := make(chan int, 8)
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				sum := 0
				for k := 0; k < 2000; k++ {
					sum += j * k
				}
				results <- sum
			}
		}()
	}
	go func() {
		for i := 0; i < 300; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	total := 0
	for i := 0; i < 300; i++ {
		total += <-results
	}

	// select with a default case: a non-blocking poll of an empty channel.
	empty := make(chan int)
	polls := 0
	for i := 0; i < 50; i++ {
		select {
		case <-empty:
		default:
			polls++
		}
	}

	// select with timeouts: the slow sender loses twice, then wins.
	slow := make(chan string)
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(12 * time.Millisecond)
		slow <- "late"
	}()
	timeouts := 0
	for got := false; !got; {
		select {
		case <-slow:
			got = true
		case <-time.After(5 * time.Millisecond):
			timeouts++
		}
	}

	// Closing a channel wakes every receiver blocked on it at once.
	done := make(chan struct{})
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-done
		}()
	}
	time.Sleep(2 * time.Millisecond)
	close(done)

	// A select over several ready channels, with a timer to stop.
	a, b := make(chan int, 1), make(chan int, 1)
	stop := time.NewTimer(20 * time.Millisecond)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 100; i++ {
			if i%2 == 0 {
				a <- i
			} else {
				b <- i
			}
		}
	}()
	na, nb := 0, 0
loop:
	for na+nb < 100 {
		select {
		case <-a:
			na++
		case <-b:
			nb++
		case <-stop.C:
			break loop
		}
	}
	stop.Stop()
	wg.Wait()
	fmt.Printf("channels: total=%d polls=%d timeouts=%d a=%d b=%d\n", total, polls, timeouts, na, nb)
}
