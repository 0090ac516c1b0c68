"""The Go files `tracetui record` adds to a program's package main (a `go build -overlay`).

They start runtime/trace into the file named by TRACETUI_TRACE_OUT, flush it from an exit
hook (a `main` return and `os.Exit` both run it), and serve the control socket whose fd is
TRACETUI_CTL_FD: `C` closes the current generation (a checkpoint), `S` or EOF stops the
tracer; each is answered `K`. With `record --cpu-profile` a file more turns the CPU profiler
on with the tracer (its samples go into the trace; the profile itself to io.Discard) and off
before it stops. Go 1.22 to 1.27; from Go 1.23 on the exit hook is
`internal/runtime/exithook.Add`, whose linkname needs `-ldflags=-checklinkname=0`.
"""

from __future__ import annotations

import json
import os

TRACE_ENV = "TRACETUI_TRACE_OUT"
CTL_ENV = "TRACETUI_CTL_FD"
PREFIX = "zz_tracetui_record"

MAIN = """// Added by tracetui record (go build -overlay); not part of the program's source.

package main

import (
	"os"
	"runtime/trace"
	"strconv"
	"sync"
	"syscall"
	"time"
)

var tracetuiRecord struct {
	once sync.Once
	file *os.File
}

// tracetuiRecordProfile starts (true) or stops (false) the CPU profiler; nil unless the
// recorder's CPU profile file is built in (it sets it before any init function runs).
var tracetuiRecordProfile func(start bool)

// tracetuiRecordStop stops the tracer and closes its file, once, within 5 s.
func tracetuiRecordStop() {
	tracetuiRecord.once.Do(func() {
		done := make(chan struct{})
		go func() {
			if tracetuiRecordProfile != nil {
				tracetuiRecordProfile(false)
			}
			trace.Stop()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		tracetuiRecord.file.Close()
	})
}

func init() {
	path := os.Getenv("TRACETUI_TRACE_OUT")
	if path == "" {
		return
	}
	os.Unsetenv("TRACETUI_TRACE_OUT")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		os.Stderr.WriteString("tracetui: cannot write the trace: " + err.Error() + "\\n")
		return
	}
	if err := trace.Start(f); err != nil {
		os.Stderr.WriteString("tracetui: cannot start the execution tracer: " + err.Error() + "\\n")
		f.Close()
		return
	}
	tracetuiRecord.file = f
	if tracetuiRecordProfile != nil {
		tracetuiRecordProfile(true)
	}
	tracetuiRecordExitHook(tracetuiRecordStop)
	if s := os.Getenv("TRACETUI_CTL_FD"); s != "" {
		os.Unsetenv("TRACETUI_CTL_FD")
		if fd, err := strconv.Atoi(s); err == nil {
			syscall.CloseOnExec(fd)
			syscall.SetNonblock(fd, true) // wait in the netpoller, not on a thread
			go tracetuiRecordServe(os.NewFile(uintptr(fd), "tracetui-control"))
		}
	}
}

// tracetuiRecordServe answers the recorder: C = checkpoint, S or EOF = stop; then K.
func tracetuiRecordServe(ctl *os.File) {
	var b [1]byte
	for {
		_, err := ctl.Read(b[:])
		if err != nil || b[0] == 'S' {
			tracetuiRecordStop()
			ctl.Write([]byte{'K'})
			ctl.Close()
			return
		}
		if b[0] == 'C' {
			tracetuiRecordAdvance(false)
			ctl.Write([]byte{'K'})
		}
	}
}
"""

# `record --cpu-profile`: the CPU profiler runs while the tracer does, so the trace holds its
# samples. A package variable's initialiser runs before every init function.
CPU_PROFILE = """// Added by tracetui record --cpu-profile.

package main

import (
	"io"
	"os"
	"runtime/pprof"
)

var tracetuiRecordCPU = func() bool {
	tracetuiRecordProfile = func(start bool) {
		if !start {
			pprof.StopCPUProfile()
		} else if err := pprof.StartCPUProfile(io.Discard); err != nil {
			os.Stderr.WriteString("tracetui: cannot start the CPU profiler: " + err.Error() + "\\n")
		}
	}
	return true
}()
"""

# runtime.traceAdvance ends the current generation and waits until it is written.
ADVANCE = """// Added by tracetui record.

package main

import _ "unsafe"

//go:linkname tracetuiRecordAdvance runtime.traceAdvance
func tracetuiRecordAdvance(stopTrace bool)
"""

EXIT_HOOK_NEW = """// Added by tracetui record (Go 1.23+). Linking needs -ldflags=-checklinkname=0.

package main

import _ "unsafe"

type tracetuiRecordHook struct {
	F            func()
	RunOnFailure bool
}

//go:linkname tracetuiRecordHookAdd internal/runtime/exithook.Add
func tracetuiRecordHookAdd(h tracetuiRecordHook)

func tracetuiRecordExitHook(f func()) { tracetuiRecordHookAdd(tracetuiRecordHook{F: f, RunOnFailure: true}) }
"""

EXIT_HOOK_OLD = """// Added by tracetui record (Go 1.22).

package main

import _ "unsafe"

//go:linkname tracetuiRecordAddExitHook runtime.addExitHook
func tracetuiRecordAddExitHook(f func(), runOnNonZeroExit bool)

func tracetuiRecordExitHook(f func()) { tracetuiRecordAddExitHook(f, true) }
"""


def write_overlay(
    pkg_dir: str, work_dir: str, minor: int, cpu_profile: bool = False, flight: bool = False
) -> tuple[str, list[str]]:
    """Write the Go files for Go 1.<minor> (with the CPU profiler's if `cpu_profile`) and the
    overlay JSON into work_dir; returns the JSON's path and the (virtual) paths the files get
    in pkg_dir. (The exit hook is chosen here, not by build tags: named .go files are built
    whatever their tags say.)"""
    files = {"main": MAIN, "advance": ADVANCE, "exithook": EXIT_HOOK_NEW if minor >= 23 else EXIT_HOOK_OLD}
    if cpu_profile:
        files["cpu"] = CPU_PROFILE
    if flight:  # Go 1.25+: the flight recorder (record --flight)
        from tracetui.record.flightoverlay import FLIGHT

        files["flight"] = FLIGHT
    replace: dict[str, str] = {}
    for name, text in files.items():
        real = os.path.join(work_dir, f"{PREFIX}_{name}.go")
        with open(real, "w", encoding="utf-8") as f:
            f.write(text)
        replace[os.path.join(pkg_dir, f"{PREFIX}_{name}.go")] = real
    path = os.path.join(work_dir, "overlay.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"Replace": replace}, f)
    return path, list(replace)
