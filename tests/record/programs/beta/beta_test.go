package beta

import (
	"os"
	"testing"
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
