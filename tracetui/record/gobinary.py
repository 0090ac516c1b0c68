"""A prebuilt Go binary: GODEBUG schedtrace/gctrace on its stderr, split from the program's
own output, made a model (record/godebugmodel.py; no rebuild, no execution trace)."""

from __future__ import annotations

import os
import shutil

from tracetui.errors import TracetuiError
from tracetui.record.buildinfo import go_version_of
from tracetui.record.child import Child
from tracetui.record.godebug import Demux
from tracetui.record.godebugmodel import godebug_model
from tracetui.record.hosttracks import section
from tracetui.record.options import RecordOptions
from tracetui.record.output import check_writable, default_output, note, sidecar
from tracetui.record.session import Session
from tracetui.record.supervise import Tracing, run_child

MANY_GOROUTINES = 10_000


def godebug_for(opts: RecordOptions, env: dict[str, str]) -> tuple[str, bool, int]:
    """(the GODEBUG to run with, whether the user asked for runtime lines themselves, the
    schedtrace period in ms). Keys the user set keep the user's values."""
    user = env.get("GODEBUG", "")
    mine = {kv.split("=", 1)[0].strip(): kv.split("=", 1)[-1].strip() for kv in user.split(",") if kv.strip()}
    ours = {"schedtrace": str(opts.godebug_period_ms), "gctrace": "1"}
    if opts.scheddetail:
        ours["scheddetail"] = "1"
    added = [f"{k}={v}" for k, v in ours.items() if k not in mine]
    period = mine.get("schedtrace", ours["schedtrace"])
    return (",".join(x for x in (user, *added) if x), len(added) < len(ours),
            int(period) if period.isdigit() and int(period) > 0 else opts.godebug_period_ms)  # fmt: skip


def record_binary(opts: RecordOptions, session: Session) -> int:
    """Run the binary with GODEBUG tracing; returns its exit status."""
    exe = opts.command[0]
    if os.sep not in exe and not shutil.which(exe):
        raise TracetuiError("command not found", path=exe)
    out = opts.output or default_output(exe)
    check_writable(out)
    log_path = sidecar(out, ".godebug.log")
    env = dict(os.environ)
    env["GODEBUG"], show, period = godebug_for(opts, env)
    rfd, wfd = os.pipe2(os.O_CLOEXEC)
    demux = Demux(rfd, log_path, show_runtime=show)
    pids: list[int] = []

    def started(child: Child) -> None:
        pids.append(child.pid)
        os.close(wfd)
        demux.start()
        session.started(child)

    try:
        result = run_child(opts.command, env, opts, Tracing(), stderr=wfd, on_start=started)
    except BaseException:
        for fd in (rfd, wfd):
            try:
                os.close(fd)
            except OSError:
                pass
        raise
    log = demux.join()
    if log.mangled:
        note(f"{log.mangled} runtime line(s) were mangled by the program's own stderr writes (passed through; "
             f"marked in {log_path})")  # fmt: skip
    gs = log.np("gstat", "ts")
    if gs.size and opts.scheddetail:
        per_dump = gs.size / max(1, len(set(gs.tolist())))
        if per_dump > MANY_GOROUTINES:
            note(f"scheddetail listed {per_dump:,.0f} goroutines a dump: each costs a write under the scheduler "
                 "lock; drop --scheddetail or raise --schedtrace")  # fmt: skip
    samples = session.samples()
    pid = pids[0] if pids else 0
    name = (samples.process_names.get(pid) if samples is not None else None) or os.path.basename(exe)
    path = exe if os.sep in exe else shutil.which(exe) or exe
    model = godebug_model(log, section=section(name, pid), go_version=go_version_of(path) or "", period_ms=period,
                          start_ns=result.start_ns, end_ns=result.end_ns)  # fmt: skip
    fixed = f", {log.repaired:,} put back together after program output cut them" if log.repaired else ""
    session.write_model(out, model, f"{log.lines:,} runtime lines{fixed}; they are in {log_path}")
    return result.exit_status
