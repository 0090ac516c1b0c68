// Command fileio writes a Go execution trace of file I/O (system calls on a temporary
// file: write, fsync, seek, read) and of pipes made with os.Pipe, whose reads block in
// the network poller until the writer goroutine sends.
//
// Usage: fileio OUT.trace
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fileio OUT.trace")
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
	err = work()
	trace.Stop()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fileio:", err)
		os.Exit(1)
	}
}

func work() error {
	dir, err := os.MkdirTemp("", "tracetui-fileio-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// A file: write 256 KB in 4 KB chunks, fsync, read it back, in two goroutines at once.
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			errs <- fileRoundTrip(fmt.Sprintf("%s/data-%d.bin", dir, g))
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}

	// A pipe: the writer sends lines with small pauses, the reader blocks between them.
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	go func() {
		defer w.Close()
		for i := 0; i < 40; i++ {
			fmt.Fprintf(w, "line %d %s\n", i, bytes.Repeat([]byte("p"), 100))
			if i%8 == 0 {
				time.Sleep(500 * time.Microsecond)
			}
		}
		// One large write that fills the pipe buffer (64 KB) and blocks until read.
		w.Write(bytes.Repeat([]byte("q"), 200<<10))
	}()
	n, err := io.Copy(io.Discard, bufio.NewReaderSize(r, 1024))
	r.Close()
	if err != nil {
		return err
	}

	// Directory operations: many small files, listed and stat'ed.
	for i := 0; i < 30; i++ {
		if err := os.WriteFile(fmt.Sprintf("%s/small-%02d.txt", dir, i), []byte("small\n"), 0o644); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, err := e.Info(); err != nil {
			return err
		}
	}
	fmt.Printf("fileio: pipe=%d bytes, %d files\n", n, len(entries))
	return nil
}

func fileRoundTrip(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 256)
	for i := 0; i < 64; i++ {
		if _, err := f.Write(chunk); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	buf := make([]byte, 8192)
	total := 0
	for {
		n, err := f.Read(buf)
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if total != 64*len(chunk) {
		return fmt.Errorf("read %d bytes, want %d", total, 64*len(chunk))
	}
	return nil
}
