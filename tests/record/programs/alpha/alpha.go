// Package alpha is a package with tests, for `tracetui record -- go test`.
package alpha

// Sum adds up to n over a channel.
func Sum(n int) int {
	c := make(chan int)
	go func() {
		for i := 1; i <= n; i++ {
			c <- i
		}
		close(c)
	}()
	t := 0
	for v := range c {
		t += v
	}
	return t
}
