// gcloop allocates garbage in a loop so that a low GOGC gives several GC cycles, for the
// GODEBUG recording tests: `gcloop [rounds]` (each round allocates 4 MB, then sleeps 2 ms).
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

var sink [][]byte

func main() {
	rounds := 40
	if len(os.Args) > 1 {
		rounds, _ = strconv.Atoi(os.Args[1])
	}
	for i := 0; i < rounds; i++ {
		for j := 0; j < 64; j++ {
			sink = append(sink, make([]byte, 64<<10))
		}
		if len(sink) > 256 {
			sink = sink[:0]
		}
		time.Sleep(2 * time.Millisecond)
	}
	fmt.Println("done", len(sink))
}
