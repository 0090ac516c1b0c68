"""Block profiles against Go's own: `go tool trace -pprof=TYPE`, read by `go tool pprof -raw`."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TRACES, committed_traces, go_env, trace_id
from tracetui.analysis.blocking import PROFILES, by_stack, reason_profile, samples
from tracetui.analysis.pprof import profile_bytes
from tracetui.cli import main
from tracetui.load import open_model
from tracetui.model import TrackKind

KINDS = tuple(PROFILES)
# Every 1.27.3 trace, and two of each older release.
CORPUS = [p for p in committed_traces() if p.parent.name == "go1.27.3"] + [
    p for p in committed_traces() if p.parent.name != "go1.27.3" and p.stem in ("channels", "nethttp")
]
# cgo callbacks reusing a goroutine id (Go counts its last lifetime only): see cgoreuse/README.md.
CGO_REUSE = sorted((Path(__file__).parent / "cgoreuse").glob("*.trace"))
CORPUS += CGO_REUSE

Stacks = Counter[tuple[tuple[str, int], ...]]


def _raw(go: str, profile: bytes, tmp: Path) -> tuple[int, int, Stacks]:
    """(samples, total delay, delay per stack of (function, line)) of a pprof profile."""
    f = tmp / "p.pb.gz"
    f.write_bytes(profile)
    out = subprocess.run(
        [go, "tool", "pprof", "-raw", str(f)], capture_output=True, text=True, env=go_env(go), check=False
    )
    assert out.returncode == 0, out.stderr
    rows, locs, section = [], {}, ""
    for line in out.stdout.splitlines():
        if line.rstrip(":") in ("Samples", "Locations", "Mappings"):
            section = line.rstrip(":")
            continue
        if section == "Samples" and (m := re.match(r"\s+(\d+)\s+(\d+):\s*(.*)", line)):
            rows.append((int(m.group(1)), int(m.group(2)), m.group(3).split()))
        elif section == "Locations" and (m := re.match(r"\s+(\d+): 0x[0-9a-f]+ M=\d+ (\S+) [^\s:]+:(\d+):", line)):
            locs[m.group(1)] = (m.group(2), int(m.group(3)))
    stacks: Stacks = Counter()
    for _, delay, ids in rows:
        stacks[tuple(locs[i] for i in ids)] += delay
    return sum(r[0] for r in rows), sum(r[1] for r in rows), stacks


def _go_profile(go: str, path: Path, kind: str) -> bytes:
    out = subprocess.run(
        [go, "tool", "trace", f"-pprof={kind}", str(path)], capture_output=True, env=go_env(go), check=False
    )
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return out.stdout


def _ours_by_stack(trace, s) -> Stacks:  # type: ignore[no-untyped-def]
    out: Stacks = Counter()
    for st in by_stack(s):
        out[tuple((fn, int(line)) for fn, _, line in trace.frames(st.stack)) if st.stack else ()] += st.delay
    return out


def _check(go: str, path: Path, tmp: Path) -> None:
    trace = open_model(str(path)).trace
    for kind in KINDS:
        s = samples(trace, PROFILES[kind])
        n, total, stacks = _raw(go, _go_profile(go, path, kind), tmp)
        assert (len(s), s.total) == (n, total), f"{kind}: ours {len(s)} samples {s.total} ns, Go's {n} {total}"
        assert _ours_by_stack(trace, s) == stacks, kind
        # Our pprof file, read by go tool pprof, says the same.
        n2, total2, stacks2 = _raw(go, profile_bytes(trace, s), tmp)
        assert (n2, total2) == (len(s), s.total) and stacks2 == _ours_by_stack(trace, s)


@pytest.mark.parametrize("path", CORPUS, ids=trace_id)
def test_profiles_equal_go_tool_trace(path: Path, go: str, tmp_path: Path) -> None:
    _check(go, path, tmp_path)


def test_profiles_of_fresh_traces_equal_go_tool_trace(fresh: list[Path], go: str, tmp_path: Path) -> None:
    assert len(fresh) == 2
    for path in fresh:
        _check(go, path, tmp_path)
    net = samples(open_model(str(fresh[0])).trace, PROFILES["net"])
    assert len(net) > 0, "the HTTP program blocks on the network"


def test_sched_samples_carry_the_unblockers_stack() -> None:
    """Go files a sched sample under the stack of the event that made the goroutine
    runnable: an unblock's is the unblocker's stack, a create's the creator's."""
    trace = open_model(str(TRACES / "go1.27.3" / "channels.trace")).trace
    s = samples(trace, PROFILES["sched"])
    assert np.count_nonzero(s.stack) > len(s) // 2
    leaves = {trace.frames(int(k))[0][0] for k in np.unique(s.stack[s.stack > 0])}
    assert leaves & {"runtime.chansend1", "runtime.chanrecv1", "runtime.selectgo", "sync.(*WaitGroup).Done"}
    # The goroutine's own name still comes from its own first stack, not its creator's.
    assert {t.group for t in trace.tracks if t.kind == TrackKind.GOROUTINE} >= {"main.main", "runtime.bgsweep"}


def test_reason_profiles_split_sync() -> None:
    trace = open_model(str(TRACES / "go1.27.3" / "channels.trace")).trace
    whole = samples(trace, PROFILES["sync"])
    reasons = {trace.string(int(r)) for r in whole.reason}
    assert {"chan send", "chan receive", "select"} <= reasons
    parts = [samples(trace, reason_profile(r)) for r in reasons]
    assert sum(p.total for p in parts) == whole.total and sum(len(p) for p in parts) == len(whole)


def test_summary_json_block_and_pprof_command(tmp_path: Path, capsys, go: str) -> None:  # type: ignore[no-untyped-def]
    path = TRACES / "go1.27.3" / "nethttp.trace"
    assert main(["summary", "--json", str(path)]) == 0
    block = json.loads(capsys.readouterr().out)["block"]
    for kind in KINDS:
        n, total, _ = _raw(go, _go_profile(go, path, kind), tmp_path)
        assert block[kind] == {"total_ns": total, "count": n}
    out = tmp_path / "net.pb.gz"
    assert main(["pprof", str(path), "--type", "net", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().err
    assert _raw(go, out.read_bytes(), tmp_path)[:2] == (block["net"]["count"], block["net"]["total_ns"])
    assert main(["pprof", str(path), "--type", "bogus"]) == 2
    assert main(["pprof", str(tmp_path / "missing.trace"), "--type", "net"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "invalid choice" in err[0] and "missing.trace: no such file" in err[1]


def test_a_reused_goroutine_id_counts_its_last_lifetime_only() -> None:
    """Go's figures for cgocallback-go1.27.3.trace (go tool trace -pprof=TYPE, count and
    ns): goroutine 17 lives four times; the earlier lifetimes' blocking is not counted."""
    path = Path(__file__).parent / "cgoreuse" / "cgocallback-go1.27.3.trace"
    trace = open_model(str(path)).trace
    g17 = trace.goroutine_track(17)
    assert g17 is not None and g17.spans is not None
    sp = g17.spans.flat
    assert int(np.count_nonzero(sp.start[1:] != sp.end[:-1])) == 3, "four lifetimes, three gaps"
    got = {k: (len(s), s.total) for k in ("sync", "syscall", "sched") for s in [samples(trace, PROFILES[k])]}
    assert got == {"sync": (1, 3828736), "syscall": (11, 19982593), "sched": (12, 54272)}
