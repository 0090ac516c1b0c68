// Command annotations writes a Go execution trace with user annotations: tasks (nested,
// and ended on another goroutine), regions (WithRegion, StartRegion/End, nested), logs
// (Log, Logf, with and without a category) and pprof labels set with pprof.Do.
//
// Usage: annotations OUT.trace
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: annotations OUT.trace")
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
		s ^= i * 31
	}
	return s
}

// handle is one "request": a task with regions and logs, fanned out to two goroutines.
func handle(ctx context.Context, id int) {
	ctx, task := trace.NewTask(ctx, "request")
	defer task.End()
	trace.Logf(ctx, "request", "id=%d", id)

	trace.WithRegion(ctx, "parse", func() {
		spin(20000)
	})

	var wg sync.WaitGroup
	for shard := 0; shard < 2; shard++ {
		wg.Add(1)
		go func(shard int) {
			defer wg.Done()
			ctx, sub := trace.NewTask(ctx, "shard")
			defer sub.End()
			labels := pprof.Labels("request", fmt.Sprint(id), "shard", fmt.Sprint(shard))
			pprof.Do(ctx, labels, func(ctx context.Context) {
				r := trace.StartRegion(ctx, "query")
				spin(30000)
				inner := trace.StartRegion(ctx, "wait")
				time.Sleep(200 * time.Microsecond)
				inner.End()
				r.End()
				trace.Log(ctx, "rows", fmt.Sprint(10*id+shard))
			})
		}(shard)
	}
	wg.Wait()

	trace.WithRegion(ctx, "render", func() {
		spin(10000)
		trace.Log(ctx, "", "rendered") // a log without a category
	})
}

func work() {
	ctx := context.Background()
	if !trace.IsEnabled() {
		fmt.Fprintln(os.Stderr, "annotations: tracing is not enabled")
		os.Exit(1)
	}
	ctx, batch := trace.NewTask(ctx, "batch")
	for id := 0; id < 5; id++ {
		handle(ctx, id)
	}

	// A task started on one goroutine and ended on another.
	handoff := make(chan *trace.Task)
	done := make(chan struct{})
	go func() {
		t := <-handoff
		trace.WithRegion(ctx, "finish-elsewhere", func() { spin(5000) })
		t.End()
		close(done)
	}()
	_, moved := trace.NewTask(ctx, "handoff")
	handoff <- moved
	<-done

	// A region that spans a blocking call on the main goroutine.
	r := trace.StartRegion(ctx, "sleepy")
	time.Sleep(time.Millisecond)
	r.End()
	trace.Log(ctx, "done", "all requests handled")
	batch.End()
	fmt.Println("annotations: 5 requests")
}
