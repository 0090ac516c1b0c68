// diffprog: the same work with and without an injected slowdown, traced with runtime/trace.
// Four workers take a mutex 100 times each; with -slow the critical section sleeps 100 µs,
// so the others wait on the mutex far longer (sync block time, go tool trace -pprof=sync).
package main

import (
	"flag"
	"log"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	out := flag.String("o", "out.trace", "the trace to write (\"\": none, when tracetui record traces it)")
	slow := flag.Bool("slow", false, "hold the mutex 100 µs each time")
	flag.Parse()
	var f *os.File
	if *out != "" {
		var err error
		if f, err = os.Create(*out); err != nil {
			log.Fatal(err)
		}
		if err := trace.Start(f); err != nil {
			log.Fatal(err)
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sum := 0
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				mu.Lock()
				for j := 0; j < 2000; j++ {
					sum += j ^ i
				}
				if *slow {
					time.Sleep(100 * time.Microsecond)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if f != nil {
		trace.Stop()
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
	if sum == 42 {
		log.Print("unlikely")
	}
}
