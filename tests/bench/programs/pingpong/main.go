package main

import (
	"flag"
	"fmt"
	"sync"
	"time"
)

func main() {
	d := flag.Duration("d", time.Second, "how long")
	pairs := flag.Int("pairs", 16, "ping-pong pairs")
	flag.Parse()
	deadline := time.Now().Add(*d)
	var wg sync.WaitGroup
	var total int64
	var mu sync.Mutex
	for p := 0; p < *pairs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ping, pong := make(chan int), make(chan int)
			go func() {
				for v := range ping {
					pong <- v + 1
				}
				close(pong)
			}()
			n := 0
			for time.Now().Before(deadline) {
				ping <- n
				n = <-pong
			}
			close(ping)
			mu.Lock()
			total += int64(n)
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Println("round trips:", total)
}
