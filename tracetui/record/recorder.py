"""`tracetui record`: choose the mode from the command (or --mode) and run it."""

from __future__ import annotations

import os
import shutil

from tracetui.errors import UsageError
from tracetui.record.options import RecordOptions
from tracetui.record.session import Session


def _is_go(arg: str) -> bool:
    return os.path.basename(arg) == "go"


def choose_mode(opts: RecordOptions) -> str:
    """The mode for opts.command: source (`go run`, a package directory), test (`go test`),
    pprof (--pprof URL), binary (an executable with Go build info) or plain."""
    cmd = opts.command
    if opts.mode != "auto":
        return opts.mode
    if opts.pprof:
        return "pprof"
    if len(cmd) >= 2 and _is_go(cmd[0]) and cmd[1] == "run":
        return "source"
    if len(cmd) >= 2 and _is_go(cmd[0]) and cmd[1] == "test":
        return "test"
    if os.path.isdir(cmd[0]):
        return "source"
    from tracetui.record.buildinfo import go_version_of

    exe = cmd[0] if os.sep in cmd[0] else shutil.which(cmd[0])
    if exe and go_version_of(exe):
        return "binary"
    return "plain"


def check_cpu_profile(opts: RecordOptions, mode: str) -> None:
    """--cpu-profile works where tracetui starts the tracer: source and test modes."""
    if opts.cpu_profile and mode not in ("source", "test"):
        raise UsageError(f"--cpu-profile needs `go run` or `go test` (source or test mode), not {mode} mode")


def record(opts: RecordOptions, session: Session) -> int:
    """Run the recording; returns the exit status to give (the program's)."""
    if opts.pprof and opts.command:
        raise UsageError("--pprof records a running service: give no command with it")
    if not opts.pprof and not opts.command:
        raise UsageError("nothing to record: give a command after --, or --pprof URL")
    mode = choose_mode(opts)
    cmd = opts.command
    if opts.flight:
        if mode not in ("source", "test"):
            raise UsageError(f"--flight builds the program with a flight recorder: give `go run PKG`, a package "
                             f"directory or `go test PKGS` (this command records in {mode} mode)")  # fmt: skip
        from tracetui.record.flight import record_flight, record_flight_test

        if mode == "test":
            return record_flight_test(opts, cmd[0], cmd[2:], session)

        if len(cmd) >= 2 and _is_go(cmd[0]) and cmd[1] == "run":
            return record_flight(opts, cmd[0], cmd[2:], session)
        return record_flight(opts, "go", cmd, session)
    check_cpu_profile(opts, mode)
    if mode == "source":
        from tracetui.record.gosource import record_source

        if len(cmd) >= 2 and _is_go(cmd[0]) and cmd[1] == "run":
            return record_source(opts, cmd[0], cmd[2:], session)
        return record_source(opts, "go", cmd, session)
    if mode == "test":
        from tracetui.record.gotest import record_test

        if not (len(cmd) >= 2 and _is_go(cmd[0]) and cmd[1] == "test"):
            raise UsageError("--mode test records `go test ...`: give that command")
        return record_test(opts, cmd[0], cmd[2:], session)
    if mode == "pprof" or opts.pprof:
        from tracetui.record.pprof import record_pprof

        if not opts.pprof or mode != "pprof":
            raise UsageError("--pprof URL goes with --mode pprof (or auto), and no command")
        return record_pprof(opts, opts.pprof, session)
    if mode == "binary":
        from tracetui.record.gobinary import record_binary

        return record_binary(opts, session)
    from tracetui.record.plain import record_plain

    return record_plain(opts, session)
