package alpha

import "testing"

func TestSum(t *testing.T) {
	if got := Sum(10000); got != 50005000 {
		t.Fatalf("Sum = %d", got)
	}
}
