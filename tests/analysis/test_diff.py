"""`tracetui diff`: deltas of two summaries, the text report, several traces per side, the
host warning and the --fail-on gates; real pairs (a program with and without an injected
slowdown, on two Go releases) checked against `go tool trace -pprof=sync`."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from tests.analysis.test_blocking import _go_profile, _raw
from tests.conftest import TRACES, go_env
from tracetui.analysis.diff import compare, host_warnings, mmu_at, ranked
from tracetui.analysis.thresholds import diff_breach, parse_diff_rule, parse_rule, resolve_path
from tracetui.cli import main
from tracetui.diffreport import label
from tracetui.errors import UsageError

NEW, OLD = TRACES / "go1.27.3", TRACES / "go1.26.6"
PROG = Path(__file__).resolve().parent / "diffprog"


def _run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _summary(capsys, path: Path) -> dict:  # type: ignore[no-untyped-def,type-arg]
    code, out, _ = _run(capsys, "summary", "--json", str(path))
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


def test_json_sides_are_the_summaries_and_delta_follows_them(capsys) -> None:  # type: ignore[no-untyped-def]
    a, b = NEW / "channels.trace", NEW / "syncprims.trace"
    code, out, _ = _run(capsys, "diff", "--json", str(a), str(b))
    assert code == 0
    got = json.loads(out)
    assert set(got) == {"a", "b", "delta"}
    assert got["a"] == _summary(capsys, a) and got["b"] == _summary(capsys, b)
    m = got["delta"]["metrics"]
    sync = m["block.sync.total_ns"]
    assert (sync["a"], sync["b"]) == (got["a"]["block"]["sync"]["total_ns"], got["b"]["block"]["sync"]["total_ns"])
    assert sync["change"] == sync["b"] - sync["a"] > 0  # syncprims blocks on sync far more than channels
    assert math.isclose(sync["ratio"], sync["change"] / sync["a"], rel_tol=1e-5)
    p99 = m["histograms.sched_latency.p99_ns"]
    assert p99["a"] == got["a"]["histograms"]["sched_latency"]["p99_ns"]
    # A group only one side has counts as 0 on the other; the MMU is read at standard windows.
    for g in got["a"]["goroutine_groups"]:
        assert m[f"goroutine_groups.{g['name']}.total_ns"]["a"] == g["total_ns"]
    assert "mmu.1ms" in m and "a_range" not in sync  # one trace a side: no spread
    largest = got["delta"]["largest"]
    assert largest and all(m[p]["change"] != 0 for p in largest)
    assert got["delta"]["host_warnings"] == []  # neither side is a recording


def test_text_report_leads_with_the_largest_change(capsys) -> None:  # type: ignore[no-untyped-def]
    a, b = NEW / "channels.trace", NEW / "syncprims.trace"
    _, out, _ = _run(capsys, "diff", "--json", str(a), str(b))
    top = json.loads(out)["delta"]["largest"][0]
    code, text, _ = _run(capsys, "diff", str(a), str(b))
    assert code == 0
    first = text.splitlines()[0]
    short = label(top)
    assert first.startswith("Largest change: ") and short in first, (first, top)
    for section in ("Block time", "Sched latency", "Stop-the-world", "GC", "MMU", "Goroutine groups", "Host A"):
        assert section in text
    assert "\x1b" not in text
    assert label("goroutine_groups.main.work.func1.total_ns") == "group main.work.func1 time"
    assert label("histograms.sched_latency.p99_ns") == "sched_latency.p99"


def test_several_traces_per_side_use_medians_and_spread(capsys) -> None:  # type: ignore[no-untyped-def]
    a = [NEW / "channels.trace", OLD / "channels.trace", NEW / "channels.trace"]
    b = [NEW / "syncprims.trace", OLD / "syncprims.trace"]
    code, out, _ = _run(capsys, "diff", "--json", *map(str, a), "--", *map(str, b))
    assert code == 0
    got = json.loads(out)
    assert isinstance(got["a"], list) and len(got["a"]) == 3 and len(got["b"]) == 2
    assert got["a"][1] == _summary(capsys, OLD / "channels.trace")
    sync = got["delta"]["metrics"]["block.sync.total_ns"]
    va = sorted(s["block"]["sync"]["total_ns"] for s in got["a"])
    vb = [s["block"]["sync"]["total_ns"] for s in got["b"]]
    assert sync["a"] == va[1] and sync["b"] == sum(vb) / 2  # medians
    assert sync["a_range"] == [va[0], va[-1]] and sync["b_range"] == [min(vb), max(vb)]
    assert sync["beyond_spread"] is (min(vb) > va[-1] or max(vb) < va[0])
    assert sync["beyond_spread"] is True
    code, text, _ = _run(capsys, "diff", *map(str, a), "--", *map(str, b))
    assert code == 0 and "medians of 3" in text and "beyond spread" in text
    code, out, _ = _run(capsys, "diff", "--json", str(a[0]), "--", str(b[0]))
    assert code == 0 and [len(x) for x in (json.loads(out)["a"], json.loads(out)["b"])] == [1, 1]
    code, _, err = _run(capsys, "diff", str(a[0]))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "A1 A2 -- B1 B2" in err


def test_gate_rules() -> None:
    r = parse_diff_rule("block.sync.total_ns>+10%")
    assert (r.path, r.op, r.value, r.relative, r.change) == ("block.sync.total_ns", ">", 0.1, True, True)
    assert diff_breach(r, r.path, 100.0, 111.0) is not None and diff_breach(r, r.path, 100.0, 109.0) is None
    assert diff_breach(r, r.path, 0.0, 1.0) is not None  # from nothing: an infinite rise
    r = parse_diff_rule("sched_latency.p99<-20%")
    assert diff_breach(r, "histograms.sched_latency.p99_ns", 100.0, 70.0) is not None
    assert diff_breach(r, "histograms.sched_latency.p99_ns", 100.0, 90.0) is None
    r = parse_diff_rule("stw.max>+1ms")  # absolute change B - A
    assert diff_breach(r, "stw.max_ns", 5e6, 6.5e6) is not None and diff_breach(r, "stw.max_ns", 5e6, 5.5e6) is None
    r = parse_diff_rule("sched_latency.p99 > 5ms")  # B's value, as summary's rules
    assert not r.change and diff_breach(r, "x_ns", 9e9, 4e6) is None and diff_breach(r, "x_ns", 0.0, 6e6)
    assert parse_diff_rule("mmu.10ms<50%").value == 0.5
    assert parse_diff_rule("host.read_bytes>+1MiB").value == 1 << 20
    for bad in ("block.sync.total_ns", "block.sync.total_ns>>1", "x>+1parsecs", ">1"):
        with pytest.raises(UsageError):
            parse_diff_rule(bad)
    known = {"histograms.sched_latency.p99_ns", "stw.max_ns", "block.sync.total_ns", "mmu.10ms"}
    assert resolve_path("sched_latency.p99", known) == "histograms.sched_latency.p99_ns"
    assert resolve_path("stw.max", known) == "stw.max_ns"
    assert resolve_path("mmu.10ms", known) == "mmu.10ms" and resolve_path("block.sink.total_ns", known) is None
    assert parse_rule("sched_latency.p99>5ms").value == 5e6  # summary's rules are unchanged


def test_gates_on_shipped_traces(capsys) -> None:  # type: ignore[no-untyped-def]
    a, b = str(NEW / "channels.trace"), str(NEW / "syncprims.trace")
    code, _, err = _run(capsys, "diff", a, b, "--fail-on", "block.sync.total_ns>+10%")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "block.sync.total_ns" in err
    code, _, err = _run(capsys, "diff", b, a, "--fail-on", "block.sync.total_ns>+10%")
    assert code == 0 and err == ""
    code, out, err = _run(capsys, "diff", a, b, "--fail-on", "blok.sync.total_ns>+10%")
    assert code == 2 and out == "" and "did you mean 'block.sync.total_ns'" in err and "block.REASON" in err
    code, _, err = _run(capsys, "diff", a, b, "--fail-on", "block_nowhere.p99>+1ms")  # a reason neither has: 0
    assert code == 0 and "counted as 0" in err
    code, out, err = _run(capsys, "diff", a, "/nonexistent/b.trace")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "b.trace" in err
    code, out, err = _run(capsys, "diff", a, "/nonexistent/b.trace", "--fail-on", "block.sync.total_ns>>1")
    assert code == 2 and "bad --fail-on" in err and len(err.strip().splitlines()) == 1  # before reading


def test_host_warning_when_the_host_differs() -> None:
    def summary(read: int, governor: str, lo: float, hi: float) -> dict:  # type: ignore[type-arg]
        host = {"read_bytes": read, "major_faults": 0, "governor": governor,
                "cpu_mhz": {"min": lo, "max": hi, "mean": (lo + hi) / 2, "cpus": 2}}  # fmt: skip
        return {"block": {"sync": {"total_ns": 1, "count": 1}}, "host": host}

    same = summary(0, "performance", 3000, 3100)
    assert host_warnings([same], [summary(4096, "performance", 2990, 3050)]) == []
    warned = host_warnings([same], [summary(200 << 20, "powersave", 1200, 1400)])
    assert any("page cache cold on B only" in w for w in warned)
    assert any("governor" in w for w in warned) and any("do not overlap" in w for w in warned)
    assert host_warnings([same], [{"host": None}])[0].startswith("host context only on A")
    assert "host.read_bytes" not in [c.path for c in ranked(compare([same], [summary(9 << 30, "x", 1, 2)]))]


def test_mmu_at_interpolates_in_log_window() -> None:
    curve = [[1000, 0.0], [10_000, 0.5], [100_000, 1.0]]
    assert mmu_at(curve, 1000) == 0.0 and mmu_at(curve, 100_000) == 1.0
    assert math.isclose(mmu_at(curve, 3162) or 0, 0.25, abs_tol=1e-3)
    assert mmu_at(curve, 999) is None and mmu_at(curve, 10**6) is None


# Real pairs: the same program with and without an injected slowdown (mutex held 100 µs).


@pytest.fixture(scope="session")
def pairs(go: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """{go version: {"fast": trace, "slow": trace}} of diffprog, built by Go 1.27.3 and 1.26.6."""
    import gotoolchain

    out = tmp_path_factory.mktemp("diffpairs")
    made: dict[str, dict[str, Path]] = {}
    for version, gobin in (("1.27.3", Path(go)), ("1.26.6", gotoolchain.ensure_go("1.26.6"))):
        exe = out / f"diffprog-{version}"
        subprocess.run([str(gobin), "build", "-o", str(exe), "."], cwd=PROG, env=go_env(gobin), check=True)
        made[version] = {}
        for kind in ("fast", "slow"):
            path = out / f"{kind}-{version}.trace"
            subprocess.run([str(exe), "-o", str(path), *(["-slow"] if kind == "slow" else [])], check=True, timeout=60)
            made[version][kind] = path
    return made


@pytest.mark.slow
def test_real_pairs_against_go_tool_trace_pprof(  # type: ignore[no-untyped-def]
    pairs: dict[str, dict[str, Path]], go: str, tmp_path: Path, capsys
) -> None:
    sides = [(pairs["1.27.3"]["fast"], pairs["1.27.3"]["slow"]), (pairs["1.26.6"]["fast"], pairs["1.26.6"]["slow"]),
             (pairs["1.26.6"]["fast"], pairs["1.27.3"]["slow"]), (pairs["1.27.3"]["slow"], pairs["1.26.6"]["fast"])]  # fmt: skip
    for a, b in sides:
        code, out, _ = _run(capsys, "diff", "--json", str(a), str(b))
        assert code == 0
        sync = json.loads(out)["delta"]["metrics"]["block.sync.total_ns"]
        go_a = _raw(go, _go_profile(go, a, "sync"), tmp_path)[1]
        go_b = _raw(go, _go_profile(go, b, "sync"), tmp_path)[1]
        assert (sync["a"], sync["b"]) == (go_a, go_b), (a.name, b.name)
        assert sync["change"] == go_b - go_a and (go_b > go_a) == ("slow" in b.name)
        rise = str(go_b > 1.1 * go_a).lower()
        # The gates: exit 1 exactly when Go's totals breach the rule; one line naming it.
        code, _, err = _run(capsys, "diff", str(a), str(b), "--fail-on", "block.sync.total_ns>+10%")
        assert code == (1 if rise == "true" else 0), (a.name, b.name, go_a, go_b)
        if code:
            assert len(err.strip().splitlines()) == 1 and "block.sync.total_ns" in err and "+10%" in err
        fall = go_b < 0.8 * go_a
        code, _, err = _run(capsys, "diff", str(a), str(b), "--fail-on", "block.sync.total_ns<-20%")
        assert code == (1 if fall else 0)
        code, _, _ = _run(capsys, "diff", str(a), str(b), "--fail-on", f"block.sync.total_ns>={go_b}ns")  # absolute
        assert code == 1
        code, _, _ = _run(capsys, "diff", str(a), str(b), "--fail-on", f"block.sync.total_ns>{go_b}ns")
        assert code == 0
    fast = [pairs[v]["fast"] for v in pairs]
    slow = [pairs[v]["slow"] for v in pairs]
    code, out, _ = _run(capsys, "diff", "--json", *map(str, fast), "--", *map(str, slow))
    assert code == 0
    sync = json.loads(out)["delta"]["metrics"]["block.sync.total_ns"]
    assert sync["beyond_spread"] is True and sync["change"] > 0
    code, text, _ = _run(capsys, "diff", str(fast[0]), str(slow[0]))
    assert code == 0 and text.startswith("Largest change: ")


def test_report_escapes_trace_text() -> None:
    from io import StringIO

    from rich.console import Console

    from tracetui.diffreport import print_diff

    evil = "main.[bold red]x[/]\x1b]0;pwned\x07"

    def summary(ns: int) -> dict:  # type: ignore[type-arg]
        return {"duration_ns": 10**9, "goroutine_groups": [{"name": evil, "count": 1, "total_ns": ns}]}

    a, b = [summary(10**6)], [summary(10**8)]
    buf = StringIO()
    print_diff(["a\x1b[2J"], ["b"], a, b, compare(a, b), host_warnings(a, b), Console(file=buf, width=200))
    text = buf.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "[bold red]" in text
    assert text.splitlines()[0].startswith("Largest change: group main.[bold red]x[/]")


def test_cpu_samples_by_function_only_when_both_have_them(capsys) -> None:  # type: ignore[no-untyped-def]
    from tracetui.analysis.diff import cpu_functions
    from tracetui.load import open_model

    a, b = NEW / "cpuprofile.trace", OLD / "cpuprofile.trace"
    counts = cpu_functions(open_model(str(a)).trace)
    assert counts and all(n > 0 for n in counts.values())
    _, out, _ = _run(capsys, "diff", "--json", str(a), str(b))
    m = json.loads(out)["delta"]["metrics"]
    cpu = {p.removeprefix("cpu."): v["a"] for p, v in m.items() if p.startswith("cpu.")}
    assert {f: n for f, n in cpu.items() if n} == counts
    _, out, _ = _run(capsys, "diff", "--json", str(a), str(NEW / "channels.trace"))
    assert not [p for p in json.loads(out)["delta"]["metrics"] if p.startswith("cpu.")]


@pytest.mark.slow
def test_recordings_compare_host_context(go: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Two `tracetui record` runs of diffprog: both sides carry the host object, its figures
    are compared (not ranked), and the text report shows each side's host."""
    import sys

    from tests.record.conftest import record_env

    out = {}
    for kind in ("fast", "slow"):
        out[kind] = tmp_path / f"{kind}.pftrace"
        argv = [sys.executable, "-m", "tracetui", "record", "--no-view", "-o", str(out[kind]), "--", "go", "run", ".",
                "-o", "", *(["-slow"] if kind == "slow" else [])]  # fmt: skip
        done = subprocess.run(argv, cwd=PROG, env=record_env(go), capture_output=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
    code, text, _ = _run(capsys, "diff", "--json", str(out["fast"]), str(out["slow"]))
    assert code == 0
    got = json.loads(text)
    assert got["a"]["host"] and got["b"]["host"]
    m = got["delta"]["metrics"]
    for key in ("read_bytes", "major_faults", "minor_faults", "migrations"):  # None where a run was too short to sample
        va, vb = got["a"]["host"][key], got["b"]["host"][key]
        if va is None or vb is None:
            assert f"host.{key}" not in m
        else:
            assert (m[f"host.{key}"]["a"], m[f"host.{key}"]["b"]) == (va, vb)
    assert not [p for p in got["delta"]["largest"] if p.startswith("host.")]
    assert m["block.sync.total_ns"]["change"] > 0
    code, text, _ = _run(capsys, "diff", str(out["fast"]), str(out["slow"]))
    from tracetui.analysis.host import host_line

    assert code == 0 and f"Host A  {host_line(got['a']['host'])[:20]}" in text and "Host B  " in text
