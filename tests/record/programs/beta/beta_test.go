package beta

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestCount(t *testing.T) {
	if got := Count(500); got != 500 {
		t.Fatalf("Count = %d", got)
	}
}

func TestFailWhenAsked(t *testing.T) {
	if os.Getenv("BETA_FAIL") != "" {
		t.Fatal("asked to fail")
	}
}

func TestWaitWhenAsked(t *testing.T) {
	if os.Getenv("BETA_WAIT") == "" {
		return
	}
	fmt.Println("waiting")
	for {
		time.Sleep(time.Millisecond)
	}
}

// burn keeps a CPU busy for about d (for the CPU profiler's samples).
//
//go:noinline
func burn(d time.Duration) uint64 {
	x := uint64(1)
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 10000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

func TestBurnWhenAsked(t *testing.T) {
	if os.Getenv("BETA_BURN") == "" {
		return
	}
	if burn(300*time.Millisecond) == 0 {
		t.Fatal("zero")
	}
}

func TestBurstWhenAsked(t *testing.T) {
	if os.Getenv("BETA_BURST") == "" {
		return
	}
	time.Sleep(300 * time.Millisecond)
	done := make(chan struct{})
	for i := 0; i < 3000; i++ {
		go func() { time.Sleep(300 * time.Millisecond); done <- struct{}{} }()
	}
	for i := 0; i < 3000; i++ {
		<-done
	}
	time.Sleep(300 * time.Millisecond)
}
