// Command liverate produces scheduler events at a steady pace for the live-view benchmark.
//
//	liverate PAIRS ROUNDS_PER_MS SECONDS
//
// PAIRS goroutine pairs play ping-pong over unbuffered channels; every millisecond each
// pair does ROUNDS_PER_MS round trips (about 4 trace events each), for SECONDS seconds.
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

func arg(i, def int) int {
	if len(os.Args) > i {
		if v, err := strconv.Atoi(os.Args[i]); err == nil {
			return v
		}
	}
	return def
}

func main() {
	pairs, rounds, secs := arg(1, 4), arg(2, 100), arg(3, 10)
	end := time.Now().Add(time.Duration(secs) * time.Second)
	var wg sync.WaitGroup
	total := make([]int, pairs)
	for p := 0; p < pairs; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			ping, pong := make(chan int), make(chan int)
			go func() {
				for v := range ping {
					pong <- v
				}
			}()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for time.Now().Before(end) {
				<-tick.C
				for i := 0; i < rounds; i++ {
					ping <- i
					<-pong
				}
				total[p] += rounds
			}
			close(ping)
		}(p)
	}
	wg.Wait()
	n := 0
	for _, t := range total {
		n += t
	}
	fmt.Println("round trips", n)
}
