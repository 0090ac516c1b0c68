//go:build !go1.25

// The flight recorder (runtime/trace.FlightRecorder) needs Go 1.25 or later.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "flightrecorder: needs Go 1.25 or later")
	os.Exit(3)
}
