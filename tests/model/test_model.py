"""The timeline model, checked on a real trace of a small Go program.

Expected values come from the program itself (it sleeps 50 ms, blocks on a channel, ...)
or from Go's own `go tool trace -d=parsed` text, never from the code under test.
"""

from __future__ import annotations

import copy
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import go_env
from tracetui.gotrace import spec
from tracetui.gotrace.events import EventTable
from tracetui.gotrace.reader import read_buffer, read_trace
from tracetui.model import FlowKind, InstantKind, Spans, State, Trace, Track, TrackKind, build_model, stats

MS = 1_000_000

PROGRAM = r"""
package main

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"
)

var sink [][]byte

func sleeper(wg *sync.WaitGroup)     { defer wg.Done(); time.Sleep(50 * time.Millisecond) }
func longSleeper(wg *sync.WaitGroup) { defer wg.Done(); time.Sleep(1200 * time.Millisecond) }
func receiver(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	<-ch
}
func locker(mu *sync.Mutex, wg *sync.WaitGroup) {
	defer wg.Done()
	mu.Lock()
	mu.Unlock()
}

func burn(d time.Duration) int {
	end := time.Now().Add(d)
	x := 0
	for time.Now().Before(end) {
		for i := 0; i < 1000; i++ {
			x += i * i
		}
	}
	return x
}

func main() {
	tf, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	pf, err := os.Create(os.Args[2])
	if err != nil {
		panic(err)
	}
	pprof.StartCPUProfile(pf)
	trace.Start(tf)
	var wg sync.WaitGroup
	wg.Add(4)
	go sleeper(&wg)
	go longSleeper(&wg)
	ch := make(chan int)
	go receiver(ch, &wg)
	var mu sync.Mutex
	mu.Lock()
	go locker(&mu, &wg)

	ctx, task := trace.NewTask(context.Background(), "outerTask")
	trace.WithRegion(ctx, "outerRegion", func() {
		trace.WithRegion(ctx, "innerRegion", func() {
			trace.Log(ctx, "myCategory", "hello log")
			burn(150 * time.Millisecond)
		})
	})
	_, sub := trace.NewTask(ctx, "innerTask")
	sub.End()
	time.Sleep(30 * time.Millisecond)
	ch <- 1
	mu.Unlock()
	for i := 0; i < 200; i++ {
		sink = append(sink, make([]byte, 1<<16))
	}
	runtime.GC()
	task.End()
	wg.Wait()
	trace.Stop()
	pprof.StopCPUProfile()
	tf.Close()
	pf.Close()
}
"""


@dataclass
class Run:
    path: Path
    model: Trace
    stats: dict[str, object]
    dump: list[str]  # the event lines (first line of each event) of go tool trace -d=parsed


def _parsed_event_lines(go: str, path: Path) -> list[str]:
    """The first line of every event `go tool trace -d=parsed` prints for path."""
    out = subprocess.run(
        [go, "tool", "trace", "-d=parsed", str(path)],
        env=go_env(go),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return [ln for ln in out.stdout.splitlines() if ln.startswith("M=")]


@pytest.fixture(scope="session")
def run(go: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    d = tmp_path_factory.mktemp("model")
    (d / "go.mod").write_text("module x\ngo 1.22\n")
    (d / "main.go").write_text(PROGRAM)
    env = go_env(go)
    subprocess.run([go, "build", "-o", str(d / "prog"), "."], cwd=d, env=env, check=True, timeout=300)
    trace_path = d / "prog.trace"
    subprocess.run([str(d / "prog"), str(trace_path), str(d / "cpu.prof")], cwd=d, check=True, timeout=120)
    lines = _parsed_event_lines(go, trace_path)
    table = read_trace(trace_path)
    return Run(trace_path, build_model(table), stats(table), lines)


def _goroutine(tr: Trace, func: str):  # type: ignore[no-untyped-def]
    tracks = [t for t in tr.tracks if t.kind == TrackKind.GOROUTINE and t.group == func]
    assert len(tracks) == 1, f"expected one goroutine starting in {func}, got {[t.name for t in tracks]}"
    return tracks[0]


def _waits(tr: Trace, sp: Spans) -> list[tuple[str, int]]:
    w = np.flatnonzero(sp.state == State.WAITING)
    return [(tr.string(sp.reason[i]), int(sp.end[i] - sp.start[i])) for i in w]


# --- what a user sees on the goroutine rows ---------------------------------------------


def test_sleeping_goroutine_waits_with_reason_sleep(run: Run) -> None:
    tr = run.model
    t = _goroutine(tr, "main.sleeper")
    assert t.name.startswith("G") and t.name.endswith(" main.sleeper")
    waits = _waits(tr, t.spans)
    assert any(r == "sleep" and d >= 50 * MS for r, d in waits), waits


def test_channel_and_mutex_block_reasons(run: Run) -> None:
    tr = run.model
    # The receiver waits until main has burnt 150 ms and slept 30 ms; same for the mutex.
    waits = _waits(tr, _goroutine(tr, "main.receiver").spans)
    assert any(r == "chan receive" and d >= 30 * MS for r, d in waits), waits
    waits = _waits(tr, _goroutine(tr, "main.locker").spans)
    assert any(r == "sync" and d >= 30 * MS for r, d in waits), waits


def test_goroutine_spans_tile_its_lifetime(run: Run) -> None:
    tr = run.model
    for t in tr.tracks:
        if t.kind != TrackKind.GOROUTINE:
            continue
        sp = t.spans
        assert len(sp) > 0, t.name
        assert np.all(sp.end >= sp.start), t.name
        assert np.all(sp.start[1:] == sp.end[:-1]), f"{t.name}: gaps or overlaps"
        assert sp.start[0] >= 0 and sp.end[-1] <= tr.duration
        assert int(sp.duration.sum()) == int(sp.end[-1] - sp.start[0])
        assert not np.isin(sp.state, [State.UNDETERMINED, State.NOT_EXIST]).any()
        # Neighbouring spans differ (generation-start status events do not split spans).
        same = (sp.state[1:] == sp.state[:-1]) & (sp.reason[1:] == sp.reason[:-1]) & (sp.stack[1:] == sp.stack[:-1])
        assert not same.any(), t.name
    g = tr.goroutines
    for func in ("main.sleeper", "main.receiver", "main.locker"):
        t = _goroutine(tr, func)
        i = g.index(t.id)
        # Created during the trace and finished in it: its spans run from creation to exit.
        assert g.created[i] == t.spans.start[0] and g.ended[i] == t.spans.end[-1]
        assert tr.string(g.func[i]) == func


def test_goroutine_across_generations_is_one_span(run: Run) -> None:
    tr = run.model
    assert tr.sync_times.size >= 2, "the program runs > 1 s: expected several generations"
    waits = _waits(tr, _goroutine(tr, "main.longSleeper").spans)
    long = [d for r, d in waits if r == "sleep" and d >= 1200 * MS]
    assert len(long) == 1, waits
    # Goroutines existing before trace.Start (main, runtime helpers) start at time 0.
    main = _goroutine(tr, "main.main")
    assert main.spans.start[0] == 0
    assert tr.goroutines.created[tr.goroutines.index(main.id)] == -1


# --- procs and threads ------------------------------------------------------------------


def test_proc_spans_do_not_overlap_and_match_goroutines(run: Run) -> None:
    tr = run.model
    procs = [t for t in tr.tracks if t.kind == TrackKind.PROC]
    assert procs
    ran = 0
    for t in procs:
        sp = t.spans
        assert np.all(sp.start[1:] >= sp.end[:-1]), t.name
        assert np.isin(sp.state, [State.RUNNING, State.SYSCALL, State.IDLE]).all()
        # Whenever a P runs goroutine g, g's own row says running for that whole time.
        for i in np.flatnonzero((sp.state == State.RUNNING) & (sp.arg >= 0)):
            g = tr.goroutine_track(int(sp.arg[i])).spans
            s, e = int(sp.start[i]), int(sp.end[i])
            assert g.time_in_state(State.RUNNING, s, e) == e - s
            ran += e - s
    gran = sum(int(t.spans.totals()[State.RUNNING]) for t in tr.tracks if t.kind == TrackKind.GOROUTINE)
    assert ran == gran  # ...and every goroutine running time is on some P


def test_thread_spans(run: Run) -> None:
    tr = run.model
    threads = [t for t in tr.tracks if t.kind == TrackKind.THREAD]
    assert len(threads) == run.stats["threads"]
    for t in threads:
        sp = t.spans
        assert np.all(sp.start[1:] >= sp.end[:-1]), t.name
        run_ = sp.state == State.RUNNING
        assert np.isin(sp.arg[run_], tr.proc_ids).all()  # running Ms hold a P
    running = tr.thread_counts[State.RUNNING]
    assert running.value.max() <= len(tr.proc_ids)


def test_goroutine_state_counters_agree_with_rows(run: Run) -> None:
    tr = run.model
    gtracks = [t for t in tr.tracks if t.kind == TrackKind.GOROUTINE]
    rng = np.random.default_rng(1)
    times = np.sort(rng.integers(0, tr.duration, 200))
    for st in (State.RUNNING, State.RUNNABLE, State.WAITING, State.SYSCALL):
        expect = np.zeros(times.size, np.int64)
        for t in gtracks:
            sp = t.spans
            i = np.searchsorted(sp.start, times, "right") - 1
            ok = (i >= 0) & (times < sp.end[np.maximum(i, 0)])
            expect += ok & (sp.state[np.maximum(i, 0)] == st)
        got = tr.goroutine_counts[st].value_at(times)
        assert np.array_equal(got, expect), st.name


# --- GC, heap, annotations ----------------------------------------------------------------


def test_gc_cycles_and_stw(run: Run) -> None:
    tr = run.model
    assert len(tr.gc) >= 1  # runtime.GC()
    assert np.all((tr.gc.start >= 0) & (tr.gc.end <= tr.duration) & (tr.gc.end > tr.gc.start))
    kinds = [tr.string(r) for r in tr.stw.reason]
    assert any("GC" in k for k in kinds), kinds
    assert "start trace" in kinds
    gc_track = next(t for t in tr.tracks if t.kind == TrackKind.GC and t.name == "GC")
    assert gc_track.spans.time_in_state(State.GC, 0, tr.duration) == int((tr.gc.end - tr.gc.start).sum())


def test_heap_counter_matches_go_dump(run: Run) -> None:
    base = int(re.search(r"Time=(\d+)", run.dump[0]).group(1))
    pts = [
        (int(m.group(1)) - base, int(m.group(2)))
        for ln in run.dump
        if (m := re.search(r'Time=(\d+) Name="/memory/classes/heap/objects:bytes" Value=Value\{Uint64\((\d+)\)\}', ln))
    ]
    assert pts
    c = run.model.heap_alloc
    assert c.ts.tolist() == [t for t, _ in pts]
    assert c.value.tolist() == [v for _, v in pts]
    assert run.model.base_time == base
    vals = np.array([v for _, v in pts])
    assert c.max_between(np.array([0]), np.array([run.model.duration + 1]))[0] == vals.max()
    assert c.value_at(c.ts[3]) == vals[3] and c.value_at(c.ts[3] - 1) == vals[2]


def test_tasks_regions_logs(run: Run) -> None:
    tr = run.model
    names = {tr.string(n): i for i, n in enumerate(tr.tasks.name)}
    assert {"outerTask", "innerTask"} <= set(names)
    outer, inner = names["outerTask"], names["innerTask"]
    assert tr.tasks.parent[inner] == tr.tasks.id[outer]
    assert tr.tasks.start[outer] <= tr.tasks.start[inner] <= tr.tasks.end[inner] <= tr.tasks.end[outer]
    assert tr.tasks.has_begin.all() and tr.tasks.has_end.all()
    r = tr.regions
    regs = {tr.string(n): i for i, n in enumerate(r.name)}
    o, i = regs["outerRegion"], regs["innerRegion"]
    assert (r.depth[o], r.depth[i]) == (0, 1)
    assert r.start[o] <= r.start[i] < r.end[i] <= r.end[o]
    assert r.end[i] - r.start[i] >= 150 * MS  # burn(150 ms) inside
    assert r.task[o] == tr.tasks.id[outer]
    main = _goroutine(tr, "main.main")
    assert r.g[o] == main.id
    rtrack = [t for t in tr.tracks if t.kind == TrackKind.REGION and t.id == main.id]
    assert len(rtrack) == 1 and rtrack[0].spans.depth.tolist() == [0, 1]
    # Queries on a nested track use its outermost level.
    assert rtrack[0].spans.time_in_state(State.REGION, 0, tr.duration) == r.end[o] - r.start[o]
    logs = tr.logs
    assert [tr.string(s) for s in logs.string] == ["hello log"]
    assert tr.string(logs.arg[0]) == "myCategory" and logs.task[0] == tr.tasks.id[outer]
    assert logs.kind[0] == InstantKind.LOG and tr.tracks[logs.track[0]].id == main.id


def test_flows_unblock_and_create(run: Run) -> None:
    tr = run.model
    f = tr.flows
    assert np.all(f.to_ts >= f.from_ts)
    assert np.all(np.diff(f.from_ts) >= 0)
    recv = tr.track_index(TrackKind.GOROUTINE, _goroutine(tr, "main.receiver").id)
    main = tr.track_index(TrackKind.GOROUTINE, _goroutine(tr, "main.main").id)
    kinds = {(int(a), int(b), int(k)) for a, b, k in zip(f.from_track, f.to_track, f.kind)}
    assert (main, recv, FlowKind.CREATE) in kinds  # go receiver(...)
    assert (main, recv, FlowKind.UNBLOCK) in kinds  # ch <- 1
    # A flow lands where its target starts running.
    for j in np.flatnonzero(f.to_track == recv):
        sp = tr.tracks[recv].spans
        assert sp.state[sp.index_at(int(f.to_ts[j]))] == State.RUNNING


def test_cpu_samples(run: Run) -> None:
    tr = run.model
    cpu = tr.cpu_samples
    assert len(cpu) >= 1  # 150 ms of burn under the CPU profiler
    assert np.all((cpu.ts >= 0) & (cpu.ts <= tr.duration))
    assert (cpu.stack > 0).all()
    known = cpu.g[cpu.g >= 0]
    assert np.isin(known, tr.goroutines.id).all()


# --- queries ------------------------------------------------------------------------------


def test_time_in_state_matches_brute_force(run: Run) -> None:
    tr = run.model
    sp = max((t.spans for t in tr.tracks if t.kind == TrackKind.GOROUTINE), key=len)
    rng = np.random.default_rng(7)
    t0 = rng.integers(-10, tr.duration + 10, 300)
    t1 = t0 + rng.integers(0, tr.duration // 4, 300)
    for st in (State.RUNNING, State.RUNNABLE, State.WAITING):
        got = sp.time_in_state_many(st, t0, t1)
        m = sp.state == st
        s, e = sp.start[m], sp.end[m]
        want = np.array([np.clip(np.minimum(e, b) - np.maximum(s, a), 0, None).sum() for a, b in zip(t0, t1)])
        assert np.array_equal(got, want), st.name
        assert sp.time_in_state(st, int(t0[0]), int(t1[0])) == want[0]
    edges = np.linspace(0, tr.duration, 41).astype(np.int64)
    occ = sp.occupancy(edges)
    assert occ.shape == (13, 40)
    first, last = sp.start[0], sp.end[-1]
    covered = np.clip(np.minimum(edges[1:], last) - np.maximum(edges[:-1], first), 0, None)
    assert np.array_equal(occ.sum(axis=0), covered)


# --- stats against Go's own view ------------------------------------------------------------


def _stats_from_dump(lines: list[str]) -> dict[str, object]:
    gids, pids, mids = set(), set(), set()
    gc = 0
    stw_open: dict[str, int] = {}
    stw: list[int] = []
    procs: list[int] = []
    times = []
    for ln in lines:
        t = int(re.search(r" Time=(\d+)", ln).group(1))
        times.append(t)
        if m := re.match(r"M=(\d+)", ln):
            mids.add(m.group(1))
        if " StateTransition " in ln:
            if m := re.search(r" GoID=(\d+)", ln):
                gids.add(m.group(1))
            if m := re.search(r" ProcID=(\d+)", ln):
                pids.add(m.group(1))
        if " RangeBegin " in ln and 'Name="GC concurrent mark phase"' in ln:
            gc += 1
        if m := re.search(r' (RangeBegin|RangeEnd) .*Name="stop-the-world \(.*\)" Scope=Goroutine\((\d+)\)', ln):
            if m.group(1) == "RangeBegin":
                stw_open[m.group(2)] = t
            elif m.group(2) in stw_open:
                stw.append(t - stw_open.pop(m.group(2)))
        if m := re.search(r'Name="/sched/gomaxprocs:threads" Value=Value\{Uint64\((\d+)\)\}', ln):
            procs.append(int(m.group(1)))
    stw += [times[-1] - t for t in stw_open.values()]  # never ended: up to the trace end
    return {
        "events": len(lines),
        "goroutines": len(gids),
        "procs": len(pids),
        "threads": len(mids),
        "gc_cycles": gc,
        "stw": {"count": len(stw), "total_ns": sum(stw), "max_ns": max(stw, default=0)},
        "duration_ns": times[-1] - times[0],
        "gomaxprocs": {"last": procs[-1], "max": max(procs)},
    }


def test_stats_agree_with_go_dump(run: Run) -> None:
    got = dict(run.stats)
    assert got.pop("go_version") == "1.26"  # Go 1.26+ writes the 1.26 wire format
    assert got == _stats_from_dump(run.dump)
    tr = run.model
    assert got["goroutines"] == len(tr.goroutines)
    assert got["procs"] == len(tr.proc_ids)
    assert got["events"] == tr.events
    assert got["duration_ns"] == tr.duration


# --- partial traces -------------------------------------------------------------------------


def test_partial_trace_uses_complete_generations(run: Run) -> None:
    data = run.path.read_bytes()
    full = run.model
    # Cut inside the last generation (the first one holds most of the bytes; how many the
    # last holds depends on the machine's load while the program ran: search finely).
    for k in range(1, 500):
        table = read_buffer(data[: int(len(data) * (1 - k / 1000))])
        if 1 < table.valid_events < full.events:
            break
    assert table.error is not None
    tr = build_model(table)
    assert tr.events == table.valid_events < full.events
    assert 0 < tr.duration < full.duration
    for t in tr.tracks:
        if t.spans is not None and len(t.spans):
            assert t.spans.end.max() <= tr.duration
    # The complete generations are modelled as in the whole trace (until the cut).
    sleeper = _goroutine(tr, "main.sleeper")
    assert any(r == "sleep" and d >= 50 * MS for r, d in _waits(tr, sleeper.spans))
    assert stats(table)["events"] == table.valid_events


def test_spans_per_track_kind_are_sorted(run: Run) -> None:
    tr = run.model
    kinds = defaultdict(int)
    for t in tr.tracks:
        kinds[t.kind] += 1
        if t.spans is not None:
            assert np.all(np.diff(t.spans.start) >= 0), t.name
        if t.counter is not None:
            assert np.all(np.diff(t.counter.ts) >= 0), t.name
    for k in (TrackKind.PROC, TrackKind.THREAD, TrackKind.GOROUTINE, TrackKind.GC, TrackKind.HEAP,
              TrackKind.COUNTER, TrackKind.TASK, TrackKind.REGION, TrackKind.CPU):  # fmt: skip
        assert kinds[k] >= 1, k


# --- every committed trace (all wire versions) ------------------------------------------

COMMITTED = sorted((Path(__file__).resolve().parents[2] / "traces").glob("go1.*/*.trace"))


@pytest.mark.parametrize("path", COMMITTED, ids=[f"{p.parent.name}/{p.stem}" for p in COMMITTED])
def test_committed_trace(path: Path, go: str) -> None:
    table = read_trace(path)
    tr = build_model(table)
    ran = 0
    for t in tr.tracks:
        sp = t.spans
        if t.kind == TrackKind.GOROUTINE:
            assert np.all(sp.start[1:] == sp.end[:-1]), t.name
        elif t.kind in (TrackKind.PROC, TrackKind.THREAD):
            assert np.all(sp.start[1:] >= sp.end[:-1]), t.name
        if t.kind == TrackKind.PROC:
            for i in np.flatnonzero((sp.state == State.RUNNING) & (sp.arg >= 0)):
                s, e = int(sp.start[i]), int(sp.end[i])
                assert tr.goroutine_track(int(sp.arg[i])).spans.time_in_state(State.RUNNING, s, e) == e - s
                ran += e - s
    gran = sum(int(t.spans.totals()[State.RUNNING]) for t in tr.tracks if t.kind == TrackKind.GOROUTINE)
    assert ran == gran
    lines = _parsed_event_lines(go, path)
    got = stats(table)
    assert got.pop("go_version") == f"1.{table.version}"
    assert got == _stats_from_dump(lines[: table.valid_events])


# --- how the model is built: streamed in chunks, lean, lazy ---------------------------------


def _arrays(tr: Trace) -> dict[str, object]:
    """Every column of a model (counters read, so computed), by name."""
    out: dict[str, object] = {}

    def put(prefix: str, obj: object) -> None:
        for name in dir(obj):
            v = getattr(obj, name, None)
            if not name.startswith("_") and isinstance(v, np.ndarray):
                out[f"{prefix}.{name}"] = v

    for i, t in enumerate(tr.tracks):
        out[f"track{i}"] = (t.kind, t.id, t.name, t.group)
        for part in (t.spans, t.counter, t.instants):
            if part is not None:
                put(f"track{i}.{type(part).__name__}", part)
    for name in ("goroutines", "gc", "stw", "assists", "sweeps", "heap_alloc", "heap_goal", "gomaxprocs", "tasks",
                 "regions", "logs", "labels", "cpu_samples", "flows"):  # fmt: skip
        put(name, getattr(tr, name))
    for name in ("goroutine_counts", "thread_counts"):
        for st, c in getattr(tr, name).items():
            put(f"{name}.{st.name}", c)
    for name in ("proc_ids", "proc_tracks", "thread_ids", "thread_tracks", "sync_times", "duration", "events"):
        out[name] = getattr(tr, name)
    return out


def _assert_same_model(a: Trace, b: Trace) -> None:
    xa, xb = _arrays(a), _arrays(b)
    assert xa.keys() == xb.keys()
    for k, v in xa.items():
        w = xb[k]
        if isinstance(v, np.ndarray):
            assert isinstance(w, np.ndarray) and v.dtype == w.dtype and np.array_equal(v, w), k
        else:
            assert v == w, k


@pytest.mark.parametrize("chunk", [7, 1000])
def test_model_does_not_depend_on_the_chunk_size(run: Run, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Rows are streamed in chunks: tiny ones put every chunk boundary case to work.
    import tracetui.model._group as group

    tables = [read_trace(run.path), read_trace(COMMITTED[0]), read_trace(COMMITTED[-1])]
    whole = [build_model(t) for t in tables]
    monkeypatch.setattr(group, "CHUNK", chunk)
    for t, w in zip(tables, whole):
        _assert_same_model(build_model(t), w)


def _transition_counts(lines: list[str], base: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Goroutines per state over time from Go's own transitions: state -> (times, counts
    after each time). A goroutine first seen Undetermined->X is in X from time 0."""
    state: dict[str, str] = {}
    events: list[tuple[int, str, str]] = []  # (time, from, to)
    for ln in lines:
        m = re.search(r" StateTransition Time=(\d+) GoID=(\d+) (\w+)->(\w+)", ln)
        if m:
            t, gid, frm, to = int(m.group(1)) - base, m.group(2), m.group(3), m.group(4)
            events.append((0 if frm == "Undetermined" else t, state.get(gid, frm), to))
            state[gid] = to
    events.sort(key=lambda e: e[0])  # stable: time order, rows in order
    times = np.array([t for t, _, _ in events], np.int64)
    out = {}
    for st in ("Running", "Runnable", "Waiting", "Syscall"):
        d = np.array([(to == st) - (frm == st) for _, frm, to in events], np.int64)
        out[st] = (times, np.cumsum(d))
    return out


def test_goroutine_counters_are_lazy_and_match_go_transitions(run: Run) -> None:
    tr = build_model(read_trace(run.path))
    counters = [*tr.goroutine_counts.values(), *tr.thread_counts.values()]
    assert not any(c.computed for c in counters)
    lean = tr.nbytes
    expect = _transition_counts(run.dump, tr.base_time)
    names = {State.RUNNING: "Running", State.RUNNABLE: "Runnable", State.WAITING: "Waiting", State.SYSCALL: "Syscall"}
    for st, c in tr.goroutine_counts.items():
        times, counts = expect[names[st]]
        # The count after the last transition at or before t, at every transition time and in between.
        probe = np.unique(np.concatenate([times, times + 1, np.linspace(0, tr.duration, 500).astype(np.int64)]))
        i = np.searchsorted(times, probe, "right") - 1
        want = np.where(i >= 0, counts[np.maximum(i, 0)], 0)
        assert np.array_equal(c.value_at(probe), want), st.name
        assert c.computed and c.ts[0] == 0 and np.all(np.diff(c.ts) > 0)
        assert np.all(np.diff(c.value) != 0)  # a point only where the count changes
    # The tracks share the counters; reading them made the model bigger, computed once.
    assert [t.counter for t in tr.tracks if t.name.startswith("Goroutines ")] == list(tr.goroutine_counts.values())
    assert tr.nbytes > lean


def _sp(t: Track | None) -> Spans:
    assert t is not None and t.spans is not None
    return t.spans


def test_thread_counters_count_thread_spans(run: Run) -> None:
    tr = build_model(read_trace(run.path))
    threads = [_sp(t) for t in tr.tracks if t.kind == TrackKind.THREAD]
    times = np.linspace(0, tr.duration - 1, 300).astype(np.int64)
    for st in (State.RUNNING, State.SYSCALL):
        want = sum(
            ((sp.start[None, :] <= times[:, None]) & (times[:, None] < sp.end[None, :]) & (sp.state == st)).sum(1)
            for sp in threads
        )
        assert np.array_equal(tr.thread_counts[st].value_at(times), want), st.name


def _ids_shifted(table: EventTable, shift: int) -> EventTable:
    """The table with every goroutine id moved up by `shift` (context g and the a0 of
    events whose first argument is a goroutine)."""
    t = copy.copy(table)
    g = table.g.astype(np.int64)
    t.g = np.where(g >= 0, g + shift, g)
    a0_is_g = np.isin(table.typ, [spec.EvGoCreate, spec.EvGoCreateSyscall, spec.EvGoCreateBlocked, spec.EvGoStart,
                                  spec.EvGoUnblock, spec.EvGoSwitch, spec.EvGoSwitchDestroy, spec.EvGoStatus,
                                  spec.EvGoStatusStack])  # fmt: skip
    t.a0 = np.where(a0_is_g, table.a0 + np.uint64(shift), table.a0)
    return t


def test_span_args_are_int32_unless_ids_do_not_fit(run: Run) -> None:
    table = read_trace(run.path)
    tr = build_model(table)
    lean = [_sp(t) for t in tr.tracks if t.kind <= TrackKind.GOROUTINE]
    assert {sp.arg.dtype for sp in lean} == {np.dtype(np.int32)}
    assert {sp.reason.dtype for sp in lean} == {np.dtype(np.int32)}
    big = build_model(_ids_shifted(table, 1 << 40))
    assert np.array_equal(big.goroutines.id, tr.goroutines.id + (1 << 40))
    for t, u in zip(tr.tracks, big.tracks):
        if t.kind == TrackKind.PROC:  # arg = goroutine
            assert _sp(u).arg.dtype == np.int64
            arg = _sp(t).arg.astype(np.int64)
            assert np.array_equal(_sp(u).arg, np.where(arg >= 0, arg + (1 << 40), -1))


def _without(sp: Spans, t: int) -> tuple[list[int], ...]:
    """The spans except the one starting at t, as lists."""
    keep = sp.start != t
    assert np.count_nonzero(~keep) == 1
    return tuple(getattr(sp, c)[keep].tolist() for c in ("start", "end", "state", "reason", "stack", "arg"))


def _as_lists(sp: Spans) -> tuple[list[int], ...]:
    return tuple(getattr(sp, c).tolist() for c in ("start", "end", "state", "reason", "stack", "arg"))


@pytest.mark.parametrize("chunk", [0, 13])
def test_unknown_status_leaves_a_gap(run: Run, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # A status Go's parser would not know (wire status 9) puts a goroutine, or a P, in an
    # undetermined state: no span until its next transition.
    import tracetui.model._group as group

    table = read_trace(run.path)
    orig = build_model(table)
    if chunk:
        monkeypatch.setattr(group, "CHUNK", chunk)
    t = copy.copy(table)
    t.typ, t.a0, t.a1, t.a2 = (c.copy() for c in (table.typ, table.a0, table.a1, table.a2))
    # A mid-life GoBlock of the sleeper becomes GoStatus Running->(9).
    sleeper = _goroutine(orig, "main.sleeper")
    gb = np.flatnonzero((table.typ == spec.EvGoBlock) & (table.g == sleeper.id))[0]
    t.typ[gb], t.a0[gb], t.a2[gb] = spec.EvGoStatus, sleeper.id, (spec.GoRunning << 32) | 9
    # A ProcStop followed by more events of its P becomes ProcStatus Running->(9).
    ps = np.flatnonzero(table.typ == spec.EvProcStop)[0]
    pid = int(table.p[ps])
    t.typ[ps], t.a0[ps], t.a1[ps], t.a2[ps] = spec.EvProcStatus, pid, 9, spec.ProcRunning
    tr = build_model(t)
    g_start, p_start = (int(table.time[r]) - orig.base_time for r in (gb, ps))
    assert _as_lists(_sp(tr.goroutine_track(sleeper.id))) == _without(_sp(sleeper), g_start)
    assert _as_lists(_sp(tr.proc_track(pid))) == _without(_sp(orig.proc_track(pid)), p_start)
    assert _sp(orig.proc_track(pid)).end[-1] > p_start  # the gap is inside the P's life


@pytest.mark.parametrize("n", [0, 1, 3, 40])
def test_first_rows_only(run: Run, n: int) -> None:
    # Tiny and empty tables: no resource, or resources with one event.
    table = copy.copy(read_trace(run.path))
    for c in ("time", "typ", "m", "p", "g", "a0", "a1", "a2", "a3"):
        setattr(table, c, getattr(table, c)[:n])
    table.valid_events = n
    tr = build_model(table)
    assert tr.events == n
    for counter in [*tr.goroutine_counts.values(), *tr.thread_counts.values()]:
        assert counter.value_at(tr.duration) >= 0
    for sp in [_sp(t) for t in tr.tracks if t.kind == TrackKind.GOROUTINE]:
        assert np.all(sp.start[1:] == sp.end[:-1]) and np.all(sp.end <= tr.duration)
