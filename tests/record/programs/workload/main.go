// Command workload is what the record tests trace. Usage: workload MODE [ARG]
//
//	cpu N        N rounds of CPU work on 4 goroutines, then print the checksum
//	chan N       N ping-pong round trips over an unbuffered channel
//	exit CODE    some work, then os.Exit(CODE)
//	return       some work, then return from main
//	panic        some work, then an unrecovered panic (exit 2)
//	wait         print "ready", then block until killed (no signal handler)
//	graceful     print "ready"; on SIGINT or SIGTERM work 200 ms more and exit 7
//	stdio        copy stdin to stdout upper-cased, write "err line" to stderr, exit 0
//	stderr N     write N numbered lines to stderr while goroutines churn
//	serve        serve net/http/pprof on 127.0.0.1 (a free port), print "port N", block
//	steady MS    a steady light load for MS milliseconds: ping-pong rounds with short sleeps
//	burst        some quiet work for 1.5 s, then 3000 goroutines at once (each sleeps 300 ms), then 0.5 s
//	readfile F   sleep 300 ms, read file F whole (printing its size), sleep 300 ms (the sampler sees before and after)
//
// For the benchmark: with WORKLOAD_ELAPSED=1, cpu and chan print "elapsed_ns N" (main's
// own time) last; with WORKLOAD_SELFTRACE=FILE, main runs runtime/trace into FILE itself.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/trace"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func cpu(rounds int) uint64 {
	var wg sync.WaitGroup
	sums := make([]uint64, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			x := uint64(w + 1)
			for i := 0; i < rounds*100000; i++ {
				x = x*6364136223846793005 + 1442695040888963407
			}
			sums[w] = x
		}(w)
	}
	wg.Wait()
	return sums[0] ^ sums[1] ^ sums[2] ^ sums[3]
}

func pingpong(n int) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	close(ping)
}

func work() {
	cpu(20)
	pingpong(2000)
	_ = make([]byte, 1<<20)
}

func arg(i int, def int) int {
	if len(os.Args) > i {
		if v, err := strconv.Atoi(os.Args[i]); err == nil {
			return v
		}
	}
	return def
}

func main() {
	mode := "return"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	start := time.Now()
	if path := os.Getenv("WORKLOAD_SELFTRACE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		trace.Start(f)
		defer func() { trace.Stop(); f.Close() }()
	}
	elapsed := func() {
		if os.Getenv("WORKLOAD_ELAPSED") != "" {
			fmt.Println("elapsed_ns", time.Since(start).Nanoseconds())
		}
	}
	switch mode {
	case "cpu":
		fmt.Println(cpu(arg(2, 100)))
		elapsed()
	case "burst":
		quiet := time.Now().Add(1500 * time.Millisecond)
		for time.Now().Before(quiet) {
			pingpong(100)
			time.Sleep(time.Millisecond)
		}
		var wg sync.WaitGroup
		for i := 0; i < 3000; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); time.Sleep(300 * time.Millisecond) }()
		}
		wg.Wait()
		time.Sleep(500 * time.Millisecond)
		fmt.Println("done")
	case "steady":
		end := time.Now().Add(time.Duration(arg(2, 3000)) * time.Millisecond)
		for time.Now().Before(end) {
			pingpong(200)
			time.Sleep(200 * time.Microsecond)
		}
		fmt.Println("done")
	case "readfile":
		time.Sleep(300 * time.Millisecond)
		data, err := os.ReadFile(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("read", len(data))
		time.Sleep(300 * time.Millisecond)
	case "chan":
		pingpong(arg(2, 100000))
		fmt.Println("done")
		elapsed()
	case "exit":
		work()
		os.Exit(arg(2, 3))
	case "return":
		work()
	case "panic":
		work()
		panic("workload: deliberate panic")
	case "wait":
		go func() {
			for {
				pingpong(100)
				time.Sleep(time.Millisecond)
			}
		}()
		fmt.Println("ready")
		select {}
	case "graceful":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
		fmt.Println("ready")
		s := <-c
		end := time.Now().Add(200 * time.Millisecond)
		for time.Now().Before(end) {
			pingpong(20)
			time.Sleep(time.Millisecond)
		}
		fmt.Println("graceful", s)
		os.Exit(7)
	case "stdio":
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			os.Stdout.Write(append(bytes.ToUpper(in.Bytes()), '\n'))
		}
		fmt.Fprintln(os.Stderr, "err line")
	case "stderr":
		n := arg(2, 1000)
		done := make(chan bool)
		go func() {
			for {
				select {
				case <-done:
					return
				default:
					pingpong(50)
				}
			}
		}()
		for i := 0; i < n; i++ {
			fmt.Fprintf(os.Stderr, "app line %d\n", i)
			if i%10 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		close(done)
	case "serve":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("port", ln.Addr().(*net.TCPAddr).Port)
		go func() {
			for {
				pingpong(50)
				time.Sleep(5 * time.Millisecond)
			}
		}()
		http.Serve(ln, nil)
	default:
		fmt.Fprintln(os.Stderr, "workload: unknown mode", mode)
		os.Exit(64)
	}
}
