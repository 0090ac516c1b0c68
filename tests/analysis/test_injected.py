"""`tracetui record`'s own code (the overlay added to package main) is left out of the analyses:
a real recording's goroutine groups, block profiles and histograms, G1's name; --show-injected
brings it back. Plus the identification rule on synthetic stacks."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.record.conftest import go_run, record_env
from tracetui.analysis.blocking import PROFILES, ProfileKind, samples
from tracetui.analysis.goroutines import goroutine_stats, group_table
from tracetui.analysis.histograms import latency_histograms
from tracetui.gotrace.events import StackTable, StringTable
from tracetui.load import open_model
from tracetui.model.injected import (
    FILE_PREFIX,
    FUNC_PREFIX,
    injected_goroutines,
    injected_stacks,
    is_injected_frame,
)
from tracetui.model.trace import State, Trace
from tracetui.record import overlay

TRACES = Path(__file__).resolve().parents[2] / "traces"
EVERY_WAIT = ProfileKind("block", State.WAITING, lambda r: True, "blocked, any reason")


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracetui", *args], capture_output=True, text=True, env=env,
                          check=False, timeout=120)  # fmt: skip


@pytest.fixture(scope="module")
def recording(go: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A real `tracetui record -- go run` of the ping-pong workload: its .gotrace."""
    out = tmp_path_factory.mktemp("injected") / "pp.pftrace"
    env = record_env(go)
    p = subprocess.run([sys.executable, "-m", "tracetui", "record", "--no-view", "--no-sample", "-o", str(out), "--",
                        *go_run("chan", "20000")], capture_output=True, env=env, check=False, timeout=180)  # fmt: skip
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    gotrace = out.with_suffix(".gotrace")
    assert gotrace.exists(), p.stderr.decode(errors="replace")
    return gotrace, env


@pytest.fixture(scope="module")
def model(recording: tuple[Path, dict[str, str]]) -> Trace:
    return open_model(str(recording[0])).trace


def _overlay_names(text: str) -> bool:
    return FUNC_PREFIX in text or FILE_PREFIX in text


def test_overlay_goroutines_are_injected(model: Trace) -> None:
    groups = {int(g): model.goroutine_track(int(g)).group for g in model.injected.tolist()}  # type: ignore[union-attr]
    assert "main.tracetuiRecordServe" in groups.values()  # the control goroutine
    assert "main.tracetuiRecordStop.func1.1" in groups.values()  # trace.Stop from the exit hook
    # runtime/trace.Start's own goroutines (reader, advancer, CPU samples) came with the overlay
    assert any(name.startswith("runtime/trace.") for name in groups.values())
    assert 1 not in groups
    user = set(model.goroutines.id.tolist()) - set(groups)
    assert not any(_overlay_names(model.goroutine_track(g).group) for g in user)  # type: ignore[union-attr]


def test_g1_is_named_from_main(model: Trace) -> None:
    g1 = model.goroutine_track(1)
    assert g1 is not None
    assert g1.name == "G1 main.main" and g1.group == "main.main"


SPIN = """package main

var sink int

func main() {
	for i := 0; i < 50000000; i++ {
		sink += i
	}
}
"""


def test_g1_is_main_main_with_no_stack_of_its_own(go: str, tmp_path: Path) -> None:
    """A main that never blocks: G1's stacks are the overlay's and a preemption's (whose root Go
    gives as runtime.asyncPreempt); it is still main.main."""
    (tmp_path / "main.go").write_text(SPIN)
    (tmp_path / "go.mod").write_text("module spin\n\ngo 1.22\n")
    p = subprocess.run([sys.executable, "-m", "tracetui", "record", "--no-view", "--no-sample", "-o", "s.pftrace", "--",
                        "go", "run", "."], cwd=tmp_path, capture_output=True, env=record_env(go), check=False,
                       timeout=180)  # fmt: skip
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    trace = open_model(str(tmp_path / "s.gotrace")).trace
    g1 = trace.goroutine_track(1)
    assert g1 is not None and g1.name == "G1 main.main"
    assert {"main.tracetuiRecordServe", "main.tracetuiRecordStop.func1.1"} <= {
        trace.goroutine_track(int(g)).group  # type: ignore[union-attr]
        for g in trace.injected.tolist()
    }


def test_goroutine_groups_leave_the_overlay_out(model: Trace) -> None:
    names = [str(g["name"]) for g in group_table(model)]
    assert "main.main" in names
    assert not any(_overlay_names(n) or n.startswith("runtime.doInit") for n in names)
    assert not any(n.startswith("runtime/trace.") for n in names)
    stats = goroutine_stats(model)
    assert not np.isin(stats.id, model.injected).any()
    g1 = int(np.flatnonzero(stats.id == 1)[0])
    # G1's wait in the exit hook (select on trace.Stop) and its syscalls in the overlay's init are not its own
    assert "select" not in {r for r, v in stats.block.items() if v[g1]}
    shown = group_table(model, show_injected=True)
    assert {"main.tracetuiRecordServe", "main.tracetuiRecordStop.func1.1"} <= {str(g["name"]) for g in shown}
    assert len(goroutine_stats(model, show_injected=True)) == len(model.goroutines)


def test_block_profiles_leave_the_overlay_out(model: Trace) -> None:
    mask = injected_stacks(model.stacks, model.strings)
    assert mask.any()
    seen_injected = False
    for kind in (*PROFILES.values(), EVERY_WAIT):
        hidden, shown = samples(model, kind), samples(model, kind, show_injected=True)
        assert not np.isin(hidden.goroutine, model.injected).any(), kind.name
        assert not mask[hidden.stack].any(), kind.name
        assert len(hidden) <= len(shown) and hidden.total <= shown.total
        seen_injected |= bool(np.isin(shown.goroutine, model.injected).any())
    assert seen_injected
    # the trace writer's syscalls (writing the trace file) are the overlay's, not the program's
    sys_hidden, sys_shown = samples(model, PROFILES["syscall"]), samples(model, PROFILES["syscall"], True)
    assert sys_hidden.total < sys_shown.total
    hist = latency_histograms(model)
    assert hist["sched_latency"].count == len(samples(model, PROFILES["sched"]))
    shown = latency_histograms(model, show_injected=True)
    assert shown["sched_latency"].count == len(samples(model, PROFILES["sched"], True)) > hist["sched_latency"].count


def test_summary_json_and_show_injected(recording: tuple[Path, dict[str, str]], model: Trace) -> None:
    path, env = recording
    p = _cli("summary", "--json", str(path), env=env)
    assert p.returncode == 0, p.stderr
    hidden = json.loads(p.stdout)
    names = [g["name"] for g in hidden["goroutine_groups"]]
    assert "main.main" in names and not any(_overlay_names(n) for n in names)
    p = _cli("summary", "--json", "--show-injected", str(path), env=env)
    assert p.returncode == 0, p.stderr
    shown = json.loads(p.stdout)
    assert "main.tracetuiRecordServe" in [g["name"] for g in shown["goroutine_groups"]]
    for kind in PROFILES:
        assert hidden["block"][kind] == {
            "total_ns": samples(model, PROFILES[kind]).total,
            "count": len(samples(model, PROFILES[kind])),
        }
        assert shown["block"][kind]["count"] >= hidden["block"][kind]["count"]
    assert shown["block"]["syscall"]["total_ns"] > hidden["block"]["syscall"]["total_ns"]
    assert shown["histograms"]["sched_latency"]["count"] > hidden["histograms"]["sched_latency"]["count"]
    p = _cli("summary", str(path), env=env)
    assert p.returncode == 0 and "tracetui record's own" in p.stdout and FUNC_PREFIX not in p.stdout


def test_pprof_show_injected(recording: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, env = recording
    counts = []
    for extra in ((), ("--show-injected",)):
        out = tmp_path / f"sched{len(extra)}.pb.gz"
        p = _cli("pprof", "--type", "sched", "-o", str(out), *extra, str(path), env=env)
        assert p.returncode == 0, p.stderr
        counts.append(int(re.search(r"([\d,]+) samples", p.stderr).group(1).replace(",", "")))  # type: ignore[union-attr]
        assert gzip.decompress(out.read_bytes())
    assert counts[0] < counts[1]


# --- the identification rule --------------------------------------------------------------


def _stacks(*stacks: list[tuple[str, str]]) -> tuple[StackTable, StringTable]:
    st, strings = StackTable(), StringTable()
    for frames in stacks:
        ids = tuple(st.frame(i + 1, strings.intern(fn), strings.intern(file), 1) for i, (fn, file) in enumerate(frames))
        st.stack(ids)
    return st, strings


def test_identification_rule() -> None:
    assert is_injected_frame("main.init.0", "/home/u/app/zz_tracetui_record_main.go")
    assert is_injected_frame("main.tracetuiRecordServe", "")
    assert is_injected_frame("main.tracetuiRecordStop.func1.1", "/x/zz_tracetui_record_main.go")
    assert not is_injected_frame("main.main", "/home/u/app/main.go")
    assert not is_injected_frame("main.init.0", "/home/u/zz_tracetui_record/main.go")  # a directory, not the file
    st, strings = _stacks(
        [("runtime.chanrecv1", "/go/src/runtime/chan.go"), ("main.main", "/app/main.go")],  # 1
        [("runtime/trace.Start", "/go/src/runtime/trace/trace.go"), ("main.init.0", "/app/zz_tracetui_record_main.go")],
        [("main.tracetuiRecordServe", "/app/zz_tracetui_record_main.go")],  # 3
    )
    assert injected_stacks(st, strings).tolist() == [False, False, True, True]
    # the table grows (a streamed trace): the mask follows
    st.stack((st.frame(99, strings.intern("main.work"), strings.intern("/app/w.go"), 3),))
    assert injected_stacks(st, strings).tolist() == [False, False, True, True, False]
    mask = injected_stacks(st, strings)
    ids = np.array([1, 5, 8, 9, 10], np.int64)
    creator = np.array([-1, 1, 1, 8, 9], np.int64)  # 9 made by 8, 10 by 9
    create_stack = np.array([0, 2, 2, 0, 0])  # 5 and 8 created from the overlay's init
    start_stack = np.array([0, 0, 3, 0, 0])
    assert injected_goroutines(ids, creator, create_stack, start_stack, mask).tolist() == [5, 8, 9, 10]
    assert injected_goroutines(ids, creator, np.zeros(5, int), np.zeros(5, int), mask).size == 0


def test_ordinary_traces_are_untouched() -> None:
    """No overlay in a plain Go trace: nothing injected, the same profiles either way."""
    trace = open_model(str(TRACES / "go1.27.3" / "channels.trace")).trace
    assert trace.injected.size == 0
    assert not injected_stacks(trace.stacks, trace.strings).any()
    for kind in PROFILES.values():
        a, b = samples(trace, kind), samples(trace, kind, show_injected=True)
        assert np.array_equal(a.delay, b.delay) and np.array_equal(a.stack, b.stack)
    assert group_table(trace) == group_table(trace, show_injected=True)


def test_overlay_names_match_the_rule() -> None:
    """The recorder's Go files are named and their functions prefixed as the model expects."""
    assert overlay.PREFIX == FILE_PREFIX
    for text in (overlay.MAIN, overlay.ADVANCE, overlay.EXIT_HOOK_NEW, overlay.EXIT_HOOK_OLD):
        for name in re.findall(r"^func (\w+)", text, re.MULTILINE):
            assert name == "init" or f"main.{name}".startswith(FUNC_PREFIX), name
