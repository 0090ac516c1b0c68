// cgo callbacks that reuse one goroutine id deterministically: main calls C.foo() N
// times in a row; each call starts a pthread that calls back into Go (needm takes the
// extra M at the head of the list, dropm pushes it back), so every callback runs as the
// same goroutine id, one lifetime (GoCreateSyscall .. GoDestroySyscall) each. Each
// lifetime blocks on a channel (sync), gets runnable (sched) and returns to C (syscall).
package main

/*
#include <pthread.h>

void go_callback();

static void *thr(void *arg) {
    go_callback();
    return 0;
}

static void foo() {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 << 10);
    pthread_create(&th, &attr, thr, 0);
    pthread_join(th, 0);
}
*/
import "C"

import (
	"log"
	"os"
	"runtime/trace"
	"time"
)

//export go_callback
func go_callback() {
	ch := make(chan int)
	go func() {
		time.Sleep(200 * time.Microsecond)
		ch <- 1
	}()
	<-ch // sync sample in this lifetime
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		log.Fatalf("failed to start tracing: %v", err)
	}
	for i := 0; i < 4; i++ {
		C.foo()
	}
	trace.Stop()
	f.Close()
}
