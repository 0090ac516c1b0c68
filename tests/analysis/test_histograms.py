"""Latency histograms and the --fail-on gate."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import TRACES
from tracetui.analysis.blocking import PROFILES, reason_profile, samples
from tracetui.analysis.histograms import histogram, latency_histograms, occurrences
from tracetui.analysis.thresholds import breaches, parse_rule, place_of
from tracetui.cli import main
from tracetui.errors import UsageError
from tracetui.load import open_model

GCSTW = TRACES / "go1.27.3" / "gcstw.trace"


def test_histogram_percentiles_are_nearest_rank_and_buckets_powers_of_two() -> None:
    d = np.arange(1, 1001)  # 1..1000 ns
    h = histogram(d)
    assert (h.count, h.total_ns, h.max_ns) == (1000, 500500, 1000)
    assert (h.p50_ns, h.p90_ns, h.p99_ns, h.p999_ns) == (500, 900, 990, 999)
    assert h.buckets[0] == (1, 2, 1) and h.buckets[1] == (2, 4, 2) and h.buckets[-1] == (512, 1024, 489)
    assert sum(c for _, _, c in h.buckets) == 1000
    assert histogram(np.zeros(0)).count == 0


def test_histograms_of_a_real_trace_agree_with_the_model_and_profiles() -> None:
    trace = open_model(str(GCSTW)).trace
    hs = latency_histograms(trace)
    stw = trace.stw.end - trace.stw.start
    assert (hs["stw"].count, hs["stw"].max_ns, hs["stw"].total_ns) == (stw.size, int(stw.max()), int(stw.sum()))
    kinds = [k for k in hs if k.startswith("stw_")]
    assert sum(hs[k].count for k in kinds) == stw.size and "stw_GC mark termination" in kinds
    sched = samples(trace, PROFILES["sched"])  # equal to go tool trace -pprof=sched (test_blocking)
    assert (hs["sched_latency"].count, hs["sched_latency"].total_ns) == (len(sched), sched.total)
    for name in (k for k in hs if k.startswith("block_")):
        s = samples(trace, reason_profile(name.removeprefix("block_")))
        assert (hs[name].count, hs[name].total_ns) == (len(s), s.total), name
    assert hs["gc"].count == len(trace.gc)


def test_rules_parse_and_breach() -> None:
    r = parse_rule("sched_latency.p99>5ms")
    assert (r.histogram, r.stat, r.op, r.value) == ("sched_latency", "p99", ">", 5e6)
    assert parse_rule("block_chan receive.count >= 3").value == 3
    trace = open_model(str(GCSTW)).trace
    hs = latency_histograms(trace)
    top = hs["stw"].max_ns
    assert breaches([parse_rule(f"stw.max>{top - 1}ns")], hs) and not breaches([parse_rule(f"stw.max>{top}ns")], hs)
    assert not breaches([parse_rule("block_nosuch.max>0ns")], hs)  # an absent histogram is empty
    for bad in ("stw.max", "stw.median>1ms", "stw.max>1h", "stw.count>1ms", "stw.max>>1ms"):
        with pytest.raises(UsageError):
            parse_rule(bad)


def test_a_max_breach_knows_where_it_happened() -> None:
    trace = open_model(str(GCSTW)).trace
    occ = occurrences(trace)
    sched = samples(trace, PROFILES["sched"])
    i = int(np.argmax(sched.delay))
    place = place_of(parse_rule("sched_latency.max>1ns"), occ)
    assert place is not None and (place.start, place.end) == (int(sched.start[i]), int(sched.start[i] + sched.delay[i]))
    assert trace.tracks[place.track].id == int(sched.goroutine[i])  # the goroutine that waited longest
    stw = place_of(parse_rule("stw.max>1ns"), occ)
    assert stw is not None and stw.end - stw.start == int((trace.stw.end - trace.stw.start).max())
    assert place_of(parse_rule("sched_latency.p99>1ns"), occ) is None  # a percentile has no one place
    assert place_of(parse_rule("block_nosuch.max>0ns"), occ) is None


def test_fail_on_gate(capsys) -> None:  # type: ignore[no-untyped-def]
    trace = open_model(str(GCSTW)).trace
    top = int((trace.stw.end - trace.stw.start).max())
    assert main(["summary", str(GCSTW), "--fail-on", f"stw.max>{top}ns"]) == 0
    capsys.readouterr()
    assert main(["summary", "--json", str(GCSTW), "--fail-on", "stw.max>1us", "--fail-on", "gc.count>=1"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["histograms"]["stw"]["max_ns"] == top
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "threshold breached" in lines[0] and "stw.max" in lines[0] and "gc.count" in lines[0]
    assert main(["summary", str(GCSTW), "--fail-on", "stw.max"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_fail_on_the_mmu_at_a_window(capsys) -> None:  # type: ignore[no-untyped-def]
    from tracetui.analysis.mmu import mmu, series

    trace = open_model(str(GCSTW)).trace
    at_10ms = mmu(series(trace), 10**7)
    assert 0.0 < at_10ms < 1.0
    floor = f"{at_10ms * 100:.3f}"
    assert main(["summary", str(GCSTW), "--fail-on", f"mmu.10ms<{float(floor) - 0.01:.3f}%"]) == 0
    capsys.readouterr()
    assert main(["summary", "--json", str(GCSTW), "--fail-on", f"mmu.10ms<{float(floor) + 0.01:.3f}%"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"mmu at 10 ms is {at_10ms:.1%}" in err[0]
    # Sweeping counts as GC work too: the floor is lower or equal.
    assert mmu(series(trace, sweep=True), 10**7) <= at_10ms
    rule = parse_rule("mmu_sweep.1ms>=0.25")
    assert (rule.histogram, rule.window, rule.value) == ("mmu_sweep", 10**6, 0.25)
    for bad in ("mmu.10ms<2", "mmu.0ms<0.5", "mmu.10ms<150%", "mmu.10<0.5"):
        with pytest.raises(UsageError):
            parse_rule(bad)
