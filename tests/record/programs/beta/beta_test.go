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
