"""`tracetui record --live`: record in the background and watch the trace as it is written."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Iterator

from tracetui.errors import UsageError
from tracetui.live.godebugtail import GodebugTail, section_of
from tracetui.live.host import LiveHost
from tracetui.live.loader import LiveSource, live_steps
from tracetui.live.recording import LiveRecording, live_output
from tracetui.live.window import LiveWindow
from tracetui.load import LoadStep
from tracetui.model.trace import Trace
from tracetui.record.options import RecordOptions

LIVE_MODES = ("source", "test", "binary")  # modes whose trace (or GODEBUG log) the viewer can follow


def record_args(args: argparse.Namespace, command: list[str]) -> list[str]:
    """The flags of `record` that the background recorder takes, then `--` and the command."""
    out: list[str] = ["--mode", args.mode]
    if args.duration:
        out += ["--duration", args.duration]
    if args.max_size:
        out += ["--max-size", args.max_size]
    if args.no_sample:
        out.append("--no-sample")
    out += ["--sample-hz", f"{args.sample_hz:g}", "--schedtrace", str(args.schedtrace)]
    if args.scheddetail:
        out.append("--scheddetail")
    if args.cpu_profile:
        out.append("--cpu-profile")
    return [*out, "--", *command]


def check_live(opts: RecordOptions, args: argparse.Namespace) -> None:
    """Refuse, in one line, what a live view cannot do (yet)."""
    from tracetui.record.recorder import check_cpu_profile, choose_mode

    if args.no_view:
        raise UsageError("--live shows the trace as it is written: it does not go with --no-view")
    if args.foreground:
        raise UsageError("--live takes the terminal for the view: it does not go with --foreground")
    if opts.pprof:
        if opts.command:
            raise UsageError("--pprof records a running service: give no command with it")
        if args.mode not in ("auto", "pprof"):
            raise UsageError("--pprof URL goes with --mode pprof (or auto), and no command")
        from tracetui.live.pprofcommand import check_outputs, pprof_outputs
        from tracetui.record.pprof import trace_url

        trace_url(opts.pprof, 1)  # (an http(s) URL, or one line)
        check_outputs(*pprof_outputs(opts.pprof, opts.output))
        if not (sys.stdout.isatty() and sys.stdin.isatty()):
            raise UsageError("--live needs a terminal to show the view in")
        return
    if not opts.command:
        raise UsageError("nothing to record: give a command after --")
    mode = choose_mode(opts)
    check_cpu_profile(opts, mode)
    if mode not in LIVE_MODES:
        raise UsageError(
            f"--live follows a Go program (`go run PKG`, a package directory, `go test PKG`, a Go binary); "
            f"this command records in {mode} mode: record it without --live"
        )
    if mode == "test" and _several_packages(opts.command):
        raise UsageError(
            "--live follows one trace: give `go test` one package (one `record --live` per package), "
            "or record several without --live (one trace each)"
        )
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        raise UsageError("--live needs a terminal to show the view in")


def go_version(opts: RecordOptions, command: list[str]) -> str:
    """The Go release the program runs on, as record knows it: the binary's build info, or
    the toolchain that builds it (`go env GOVERSION`); "" when that cannot be found (the
    recorder then says why, in one line)."""
    from tracetui.errors import TracetuiError
    from tracetui.record.buildinfo import go_version_of
    from tracetui.record.gobuild import find_go
    from tracetui.record.recorder import choose_mode

    if choose_mode(opts) == "binary":
        exe = command[0] if os.sep in command[0] else shutil.which(command[0]) or command[0]
        return go_version_of(exe) or ""
    go = command[0] if command[:1] and os.path.basename(command[0]) == "go" else "go"
    try:
        return find_go(go, dict(os.environ)).version
    except (TracetuiError, OSError):
        return ""


def _several_packages(command: list[str]) -> bool:
    """Whether `go test ...` names several packages (a pattern with ..., or more than one)."""
    from tracetui.record.gotest import split_test_args

    pkgs = split_test_args(command[2:]).packages
    return len(pkgs) > 1 or any("..." in p for p in pkgs)


def run_live(
    args: argparse.Namespace,
    command: list[str],
    opts: RecordOptions,
    keep_s: float,
    view: Callable[[str, Callable[..., Iterator[LoadStep]], LiveRecording], int],
) -> int:
    """Start the recording, show it live with `view(path, loader, recording)`, and return
    the exit status: the program's if it ended by itself, 0 if the user stopped it."""
    from tracetui.live.memory import fixed_mmap_threshold
    from tracetui.record.output import sidecar
    from tracetui.record.recorder import choose_mode

    check_live(opts, args)
    fixed_mmap_threshold()  # a model a second for hours: RSS flat (see live/memory.py)
    if opts.pprof:
        from tracetui.live.pprofcommand import run_pprof_live

        return run_pprof_live(opts, opts.pprof, keep_s, view)
    pftrace = live_output(command, args.output)
    recording = LiveRecording(record_args(args, command), pftrace)
    window: LiveSource
    if choose_mode(opts) == "binary":  # no Go trace: the runtime's GODEBUG lines, as they come
        window = GodebugTail(sidecar(pftrace, ".godebug.log"), section_of(command), args.schedtrace)
    else:
        window = LiveWindow(recording.gotrace, keep_s=keep_s)

    host = LiveHost(recording.proc.pid, opts.sample_hz) if opts.sample else None
    version = go_version(opts, command)

    def extra(model: Trace) -> None:
        model.go_version = model.go_version or version
        if host is not None:
            host.add_tracks(model)

    def loader(_path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        return live_steps(window, recording.finished, cancelled, extra=extra, nothing=recording.why_no_trace)

    try:
        status = view(window.path, loader, recording)
    finally:
        if host is not None:
            host.stop()
        if not recording.finished():  # quit at once (q twice): the recorder still writes its files
            recording.stop()
        recording.exit_status()  # the recorder has written its files
        window.close()
    if status != 2:  # (2: the viewer already said what went wrong, in one line)
        for line in recording.last_lines(3):
            if line.startswith("tracetui:"):
                print(line, file=sys.stderr)
    print(f"tracetui: the program's output is in {os.path.relpath(recording.log_path)}", file=sys.stderr)
    return status
