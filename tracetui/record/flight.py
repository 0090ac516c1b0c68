"""`tracetui record --flight`: a flight recorder in the program, snapshots when a trigger fires.

The program is built as in source mode, with one more overlay file (record/flightoverlay.py)
that keeps the last `--window` of trace in memory (runtime/trace.FlightRecorder, Go 1.25+)
instead of writing a trace. A trigger writes the window out: a rule on the program's own
runtime metrics (`--on 'sched_latency.p99>5ms'`), SIGUSR1 to tracetui (forwarded to the
program), with a cool-down between two rule triggers. Each snapshot becomes
`run.flight-NNN.gotrace` at once and `run.flight-NNN.pftrace` when the program has ended.
A program that never trips a trigger leaves no file. In `go test` mode every test binary
gets the flight recorder (the overlay file is added to each package under test).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import select
import shutil
import sys
import tempfile
import termios
import threading
import tty
from collections.abc import Iterator
from dataclasses import dataclass

from tracetui.errors import UsageError
from tracetui.record.control import Control
from tracetui.record.gobuild import build_traced, find_go, go_list, list_main, split_build_args
from tracetui.record.options import RecordOptions
from tracetui.record.output import check_writable, default_output, note, per_package, sidecar
from tracetui.record.session import Session
from tracetui.record.supervise import Tracing, run_child

FLIGHT_MINOR = 25  # runtime/trace.FlightRecorder
TRIGGER_LOG = "tracetui.flight"  # the category of the log event that marks a trigger in a snapshot
POLL_S = 0.1

# Trigger metric -> what its value is (as --fail-on names summary's metrics).
METRICS = {
    "sched_latency.p99": "time",  # over the last 100 ms, from /sched/latencies:seconds
    "sched_latency.max": "time",
    "gc_pause.max": "time",  # /sched/pauses/total/gc:seconds, over the last 100 ms
    "goroutines": "count",  # /sched/goroutines:goroutines
    "heap": "bytes",  # /memory/classes/heap/objects:bytes
}
_TIME = {"ns": 1.0, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}
_BYTES = {"": 1.0, "b": 1.0, "kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 1024.0, "mib": 1024.0**2, "gib": 1024.0**3}
_RULE = re.compile(r"\s*([a-z_][a-z0-9_.]*)\s*([<>])\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-zA-Zµ]*)\s*")


@dataclass(frozen=True)
class Trigger:
    name: str
    op: str  # ">" or "<"
    value: float  # ns, bytes or a count
    text: str  # as given

    def line(self) -> str:
        """The rule as the overlay reads it: `name op value text`."""
        return f"{self.name} {self.op} {self.value:.17g} {self.text}"


def parse_trigger(text: str) -> Trigger:
    """`sched_latency.p99>5ms`, `gc_pause.max>2ms`, `goroutines>10000`, `heap>2GB`."""
    m = _RULE.fullmatch(text)
    if m is None:
        raise UsageError(f"--on {text!r}: say NAME>VALUE or NAME<VALUE, e.g. 'sched_latency.p99>5ms'")
    name, op, number, unit = m.groups()
    if name not in METRICS:
        near = difflib.get_close_matches(name, list(METRICS), n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise UsageError(f"--on {text!r}: unknown metric {name!r}{hint}; valid: {', '.join(METRICS)}")
    kind = METRICS[name]
    if kind == "time":
        if unit not in _TIME:
            raise UsageError(f"--on {text!r}: {name} is a time: give a unit (ns, us, ms, s)")
        value = float(number) * _TIME[unit]
    elif kind == "bytes":
        if unit.lower() not in _BYTES:
            raise UsageError(f"--on {text!r}: {name} is a size: say 512MB, 2GB or 1GiB")
        value = float(number) * _BYTES[unit.lower()]
    else:
        if unit:
            raise UsageError(f"--on {text!r}: {name} is a count: give a number without a unit")
        value = float(number)
    return Trigger(name, op, value, text.strip())


def snapshot_paths(out: str, n: int) -> tuple[str, str]:
    """(pftrace, gotrace) of snapshot n: `run.flight-001.pftrace`, `run.flight-001.gotrace`."""
    pf = per_package(out, f"flight-{n:03d}")
    return pf, sidecar(pf, ".gotrace")


class _Collector:
    """Moves each snapshot the program writes to its numbered name, saying so in one line;
    on a terminal, keeps one status line (the snapshots, the metrics the rules watch)."""

    def __init__(self, work: str, out: str, status: bool = False, window: float = 0.0) -> None:
        self.work, self.out = work, out
        self.taken: list[tuple[str, str | None]] = []  # (pftrace, gotrace)
        self.status, self.window = status, window
        self._shown = False
        self._lock = threading.Lock()  # our stderr lines, one writer at a time
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tracetui-flight", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> list[tuple[str, str | None]]:
        self._stop.set()
        self._thread.join()
        self._collect()  # written while stopping
        self._clear()
        return self.taken

    def _run(self) -> None:
        k = 0
        while not self._stop.wait(POLL_S):
            self._collect()
            k += 1
            if self.status and k % 5 == 0:
                self._show()

    def say(self, text: str) -> None:
        """One line of ours, above the status line."""
        with self._lock:
            self._clear_now()
            note(text)

    def _show(self) -> None:
        try:
            with open(os.path.join(self.work, "status"), encoding="utf-8", errors="replace") as f:
                metrics = "  ".join(_plain(line.strip()) for line in f if line.strip())
        except OSError:
            metrics = ""
        n = len(self.taken)
        line = (f"flight recorder: last {self.window:g}s held, {n} snapshot{'' if n == 1 else 's'}"
                f"{'  ' + metrics if metrics else ''}  (s: snapshot now)")  # fmt: skip
        width = shutil.get_terminal_size((100, 24)).columns
        with self._lock:
            sys.stderr.write("\r\x1b[K" + line[: max(width - 1, 10)])
            sys.stderr.flush()
            self._shown = True

    def _clear(self) -> None:
        with self._lock:
            self._clear_now()

    def _clear_now(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._shown = False

    def _collect(self) -> None:
        try:
            names = [n for n in os.listdir(self.work) if n.endswith(".gotrace")]
            names.sort(key=lambda n: (os.stat(os.path.join(self.work, n)).st_mtime_ns, n))  # the order written
        except OSError:
            return
        for name in names:
            src = os.path.join(self.work, name)
            try:
                with open(src[: -len(".gotrace")] + ".reason", encoding="utf-8", errors="replace") as f:
                    reason = f.read().strip()
            except OSError:
                reason = "?"
            pf, gt = snapshot_paths(self.out, len(self.taken) + 1)
            shutil.move(src, gt)
            self.taken.append((pf, gt))
            self.say(f"snapshot {len(self.taken)}: {_plain(reason)} -> {gt}")


def _plain(text: str) -> str:
    from tracetui.sanitize import safe_text

    return safe_text(text, keep_newlines=False)


@contextlib.contextmanager
def _keys(work: str, collector: _Collector) -> Iterator[None]:
    """While the program runs: `s` (or Enter) on the terminal takes a snapshot (the count in
    WORK/request goes up; every traced process snapshots). The program runs in a process
    group of its own, so the keys are ours; cbreak mode keeps Ctrl+C a signal."""
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    stop = threading.Event()

    def read() -> None:
        asked = 0
        while not stop.is_set():
            if not select.select([fd], [], [], 0.2)[0]:
                continue
            try:
                key = os.read(fd, 1)
            except OSError:
                return
            if not key:
                return
            if key in (b"s", b"S", b"\n", b"\r"):
                asked += 1
                collector.say("snapshot requested (key)")
                request(work, asked)

    tty.setcbreak(fd)
    reader = threading.Thread(target=read, name="tracetui-flight-keys", daemon=True)
    reader.start()
    try:
        yield
    finally:
        stop.set()
        reader.join(1.0)
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def request(work: str, count: int) -> None:
    """Ask every traced process for a snapshot: the count in WORK/request goes up."""
    tmp = os.path.join(work, "request.tmp")
    with open(tmp, "w", encoding="ascii") as f:
        f.write(str(count))
    os.replace(tmp, os.path.join(work, "request"))


def _flight_env(opts: RecordOptions, work: str) -> dict[str, str]:
    return {
        "TRACETUI_FLIGHT_DIR": work,
        "TRACETUI_FLIGHT_WINDOW": f"{int(opts.flight_window * 1e9)}ns",
        "TRACETUI_FLIGHT_MAX_BYTES": str(opts.flight_max_bytes),
        "TRACETUI_FLIGHT_COOLDOWN": f"{int(opts.flight_cooldown * 1e9)}ns",
        "TRACETUI_FLIGHT_RULES": "\n".join(t.line() for t in opts.triggers),
    }


def _run(opts: RecordOptions, argv: list[str], env: dict[str, str], out: str, work: str, ctl: Control | None,
         session: Session) -> int:  # fmt: skip
    """Run the flight-recorded program (or go test) to its end; snapshots collected, then converted."""
    rules = ", ".join(t.text for t in opts.triggers) or "none"
    interactive = not opts.foreground and sys.stdin.isatty() and sys.stderr.isatty()
    keys = "; s on this terminal or" if interactive else ";"
    note(f"flight recorder: the last {opts.flight_window:g}s kept; triggers: {rules}{keys} "
         f"SIGUSR1 to tracetui (pid {os.getpid()}) snapshots now")  # fmt: skip
    collector = _Collector(work, out, status=interactive, window=opts.flight_window)
    collector.start()
    try:
        with _keys(work, collector) if interactive else contextlib.nullcontext():
            result = run_child(argv, env, opts, Tracing([], ctl), on_start=session.started)
    finally:
        taken = collector.stop()
    if not taken:
        note("no trigger fired: nothing was written")
        session.samples()
        return result.exit_status
    session.finish(result, taken)
    return result.exit_status


def record_flight(opts: RecordOptions, go: str, build_args: list[str], session: Session) -> int:
    """`go run [flags] PKG args` with a flight recorder: returns the program's exit status."""
    env = dict(os.environ)
    tc = find_go(go, env)
    _need_flight(tc.minor, tc.version)
    flags, targets, args = split_build_args(build_args)
    pkg = list_main(tc, flags, targets)
    out = opts.output or default_output(pkg.name)
    check_writable(out)
    where = os.path.dirname(os.path.abspath(out))
    with (
        tempfile.TemporaryDirectory(prefix="tracetui-build-") as build,
        tempfile.TemporaryDirectory(prefix=".tracetui-flight-", dir=where) as work,
    ):
        binary = build_traced(tc, flags, targets, pkg, build, opts.cpu_profile, flight=True)
        session.go_version = tc.version
        ctl = Control()
        run_env = dict(env)
        run_env.update(ctl.env)
        run_env.update(_flight_env(opts, work))
        return _run(opts, [binary, *args], run_env, out, work, ctl, session)


def record_flight_test(opts: RecordOptions, go: str, args: list[str], session: Session) -> int:
    """`go test ARGS` with a flight recorder in every test binary (an overlay file added to
    each package under test): returns go test's exit status. Snapshots of several binaries
    are numbered in the order they were written."""
    from tracetui.record.flightoverlay import FLIGHT, for_package
    from tracetui.record.gobuild import _merge_ldflags
    from tracetui.record.gotest import _build_flags, split_test_args
    from tracetui.record.overlay import EXIT_HOOK_NEW, PREFIX

    env = dict(os.environ)
    tc = find_go(go, env)
    _need_flight(tc.minor, tc.version)
    ta = split_test_args(args)
    rows = go_list(tc, _build_flags(ta.flags), ta.packages or ["."], "{{.Name}}\t{{.Dir}}")
    name = f"{os.path.basename(rows[0][1])}.test" if len(rows) == 1 else "go-test"
    out = opts.output or default_output(name)
    check_writable(out)
    where = os.path.dirname(os.path.abspath(out))
    with (
        tempfile.TemporaryDirectory(prefix="tracetui-build-") as build,
        tempfile.TemporaryDirectory(prefix=".tracetui-flight-", dir=where) as work,
    ):
        replace: dict[str, str] = {}
        for pkg_name, pkg_dir in rows:
            for what, text in (("flight", FLIGHT), ("exithook", EXIT_HOOK_NEW)):
                real = os.path.join(build, f"{len(replace)}_{what}.go")
                with open(real, "w", encoding="utf-8") as f:
                    f.write(for_package(text, pkg_name.removesuffix("_test")))
                replace[os.path.join(pkg_dir, f"{PREFIX}_{what}.go")] = real
        overlay = os.path.join(build, "overlay.json")
        with open(overlay, "w", encoding="utf-8") as f:
            json.dump({"Replace": replace}, f)
        session.go_version = tc.version
        flags = _merge_ldflags(ta.flags, tc.env, tc.minor)
        # A cached result runs no test binary, so no flight recorder: -count=1 unless given.
        count = [] if any(f.lstrip("-").split("=", 1)[0] == "count" for f in ta.flags) else ["-count=1"]
        argv = [tc.go, "test", *flags, *count, "-overlay", overlay, *ta.packages]
        if ta.binary_args:
            argv += ["-args", *ta.binary_args]
        run_env = dict(env)
        run_env.update(_flight_env(opts, work))
        return _run(opts, argv, run_env, out, work, None, session)


def _need_flight(minor: int, version: str) -> None:
    if minor < FLIGHT_MINOR:
        raise UsageError(
            f"--flight needs Go 1.{FLIGHT_MINOR} or later (runtime/trace.FlightRecorder); "
            f"this toolchain is {version or 'older'}"
        )
