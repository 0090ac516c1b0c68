"""`tracetui record --live`: record in the background and watch the trace as it is written."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator

from tracetui.errors import UsageError
from tracetui.live.godebugtail import GodebugTail, section_of
from tracetui.live.host import LiveHost
from tracetui.live.loader import LiveSource, live_steps
from tracetui.live.recording import LiveRecording, live_output
from tracetui.live.window import LiveWindow
from tracetui.load import LoadStep
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
    return [*out, "--", *command]


def check_live(opts: RecordOptions, args: argparse.Namespace) -> None:
    """Refuse, in one line, what a live view cannot do (yet)."""
    from tracetui.record.recorder import choose_mode

    if args.no_view:
        raise UsageError("--live shows the trace as it is written: it does not go with --no-view")
    if args.foreground:
        raise UsageError("--live takes the terminal for the view: it does not go with --foreground")
    if opts.pprof:
        raise UsageError("--live --pprof is not supported yet: record the service without --live")
    if not opts.command:
        raise UsageError("nothing to record: give a command after --")
    mode = choose_mode(opts)
    if mode not in LIVE_MODES:
        raise UsageError(
            f"--live follows a Go program (`go run PKG`, a package directory, `go test PKG`, a Go binary); "
            f"this command records in {mode} mode: record it without --live"
        )
    if mode == "test" and _several_packages(opts.command):
        raise UsageError("--live follows one trace: give `go test` one package (several make one trace each)")
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        raise UsageError("--live needs a terminal to show the view in")


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
    from tracetui.record.output import sidecar
    from tracetui.record.recorder import choose_mode

    check_live(opts, args)
    pftrace = live_output(command, args.output)
    recording = LiveRecording(record_args(args, command), pftrace)
    window: LiveSource
    if choose_mode(opts) == "binary":  # no Go trace: the runtime's GODEBUG lines, as they come
        window = GodebugTail(sidecar(pftrace, ".godebug.log"), section_of(command), args.schedtrace)
    else:
        window = LiveWindow(recording.gotrace, keep_s=keep_s)

    host = LiveHost(recording.proc.pid, opts.sample_hz) if opts.sample else None

    def loader(_path: str, cancelled: Callable[[], bool]) -> Iterator[LoadStep]:
        return live_steps(window, recording.finished, cancelled, extra=host.add_tracks if host else None,
                          nothing=recording.why_no_trace)  # fmt: skip

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
