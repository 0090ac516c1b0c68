// Package beta is a second package with tests.
package beta

import "sync"

// Count increments a counter from n goroutines under a mutex.
func Count(n int) int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	c := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			c++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return c
}
