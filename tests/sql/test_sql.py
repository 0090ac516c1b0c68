"""`tracetui sql` and `export --parquet`: the tables' figures equal the summary's and Go's,
many files in one query, errors as one line, the cache reused and invalidated."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.analysis.test_blocking import _go_profile, _raw
from tests.conftest import TRACES, GoTool
from tracetui.analysis.blocking import PROFILES
from tracetui.cli import main
from tracetui.sql.engine import connect, load, run
from tracetui.sql.tables import SCHEMA, SCHEMA_VERSION

GCSTW = sorted(TRACES.glob("go1.2*/gcstw.trace"))  # one per release: same name, so `trace` is the path
V27 = sorted((TRACES / "go1.27.3").glob("*.trace"))
SYNC = TRACES / "go1.27.3" / "syncprims.trace"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _sql(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, list[dict[str, object]], str]:
    rc = main(["sql", "--json", "-j", "1", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, (json.loads(out) if rc == 0 else []), err


def _summary(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, dict[str, int]]:
    assert main(["summary", "--json", str(path)]) == 0
    return json.loads(capsys.readouterr().out)


STW_BY_TRACE = """SELECT t.trace, count(s.dur_ns) AS n, coalesce(sum(s.dur_ns), 0) AS total, coalesce(max(s.dur_ns), 0) AS mx
FROM traces t LEFT JOIN stw s USING (trace) GROUP BY t.trace ORDER BY t.trace"""


def test_stw_count_and_total_per_trace_equal_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    files = [*GCSTW, TRACES / "go1.27.3" / "channels.trace"]
    q = STW_BY_TRACE.replace(" AS mx\n", " AS mx, (SELECT count(*) FROM gc WHERE gc.trace = t.trace) AS gc\n")
    rc, rows, err = _sql(capsys, q, *files)
    assert rc == 0, err
    names = {str(p) for p in GCSTW} | {"channels.trace"}
    assert {r["trace"] for r in rows} == names
    for p in files:
        row = next(r for r in rows if r["trace"] in (str(p), p.name))
        summary = _summary(capsys, p)
        stw = summary["stw"]
        assert (row["n"], row["total"], row["mx"]) == (stw["count"], stw["total_ns"], stw["max_ns"]), p
        assert row["gc"] == summary["gc_cycles"], p
    assert sum(r["n"] for r in rows) > 50


def test_block_delay_by_profile_equals_go_tool_trace_pprof(
    capsys: pytest.CaptureFixture[str], go: str, tmp_path: Path
) -> None:
    rc, rows, err = _sql(
        capsys, "SELECT profile, count(*) AS n, sum(delay_ns) AS total FROM blocking GROUP BY profile", SYNC
    )
    assert rc == 0, err
    ours = {r["profile"]: (r["n"], r["total"]) for r in rows if r["profile"]}
    block = _summary(capsys, SYNC)["block"]
    for kind in PROFILES:
        n, total, _ = _raw(go, _go_profile(go, SYNC, kind), tmp_path)
        assert ours.get(kind, (0, 0)) == (n, total) == (block[kind]["count"], block[kind]["total_ns"]), kind
    assert ours["sync"][1] > 0


def test_a_query_over_many_traces_gives_one_row_per_trace(capsys: pytest.CaptureFixture[str]) -> None:
    q = """SELECT t.trace, t.events, (SELECT count(*) FROM goroutines g WHERE g.trace = t.trace) AS gs,
                  (SELECT count(*) FROM states s WHERE s.trace = t.trace) AS spans
           FROM traces t ORDER BY t.trace"""
    rc, rows, err = _sql(capsys, q, V27[0].parent)  # a directory: the traces in it
    assert rc == 0, err
    assert [r["trace"] for r in rows] == sorted(p.name for p in V27)
    assert all(r["events"] > 0 and r["gs"] > 0 and r["spans"] > 0 for r in rows)
    for p in V27[:2]:
        s = _summary(capsys, p)
        row = next(r for r in rows if r["trace"] == p.name)
        assert row["events"] == s["events"]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("SELECT * FROM no_such_table", "Table with name no_such_table does not exist"),
        ("SELEC 1", "syntax error"),
        ("SELECT nope FROM stw", 'column "nope"'),
    ],
)
def test_a_bad_query_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], query: str, says: str) -> None:
    rc, _, err = _sql(capsys, query, SYNC)
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and says in err and err.startswith("tracetui: "), err
    assert "Traceback" not in err and "pg_" not in err


def test_a_file_that_is_not_a_trace_is_named_and_skipped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "notes.trace"
    junk.write_text("not a trace\n")
    rc, rows, err = _sql(capsys, "SELECT trace FROM traces ORDER BY trace", junk, SYNC, tmp_path / "missing.trace")
    assert rc == 0
    assert [r["trace"] for r in rows] == [SYNC.name]
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all("(skipped)" in ln for ln in lines), err
    assert str(junk) in lines[0] and "missing.trace" in lines[1]
    rc, _, err = _sql(capsys, "SELECT 1", junk)
    assert rc == 2 and "nothing to query" in err


def test_csv_table_and_schema_outputs(capsys: pytest.CaptureFixture[str], _cache: Path) -> None:
    assert (
        main(
            ["sql", "--no-cache", "--csv", "SELECT kind, count(*) AS n FROM stw GROUP BY kind ORDER BY kind", str(SYNC)]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "kind,n" and len(out) > 1
    assert not _cache.exists()  # --no-cache kept nothing
    assert main(["sql", "SELECT trace, duration_ns FROM traces", str(SYNC)]) == 0
    out = capsys.readouterr().out
    assert "syncprims.trace" in out and "(1 row)" in out
    assert main(["sql", "--schema"]) == 0
    out = capsys.readouterr().out
    assert all(f'Table "{t}"' in out for t in SCHEMA) and f"version {SCHEMA_VERSION}" in out


def test_trace_text_reaches_the_terminal_inert(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_hostile_text import hostile_trace

    monkeypatch.setenv("COLUMNS", "300")  # no folding inside the strings looked for

    path = hostile_trace(tmp_path / "h.trace")
    assert main(["sql", "SELECT category, message FROM logs UNION ALL SELECT reason, '' FROM states", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\x9b" not in out and "\x07" not in out
    assert "[bold red]boom[/bold red]" in out and "[link=file:///etc/passwd]cat[/link]" in out  # not read as markup


def test_parquet_export_reads_back_with_the_same_answers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    files = [*GCSTW[-2:], SYNC]
    out = tmp_path / "pq"
    assert main(["export", *map(str, files), "--parquet", str(out)]) == 0
    capsys.readouterr()
    schema = json.loads((out / "schema.json").read_text())
    assert schema["schema_version"] == SCHEMA_VERSION and set(schema["tables"]) == set(SCHEMA)
    con = duckdb.connect()

    def read(table: str) -> str:
        return f"read_parquet('{out}/{table}/**/*.parquet', hive_partitioning = true)"

    q = STW_BY_TRACE.replace("FROM traces t", f"FROM {read('traces')} t").replace("JOIN stw s", f"JOIN {read('stw')} s")
    got = [dict(zip(("trace", "n", "total", "mx"), r)) for r in con.sql(q).fetchall()]
    rc, want, err = _sql(capsys, STW_BY_TRACE, *files)
    assert rc == 0, err
    assert got == want and len(got) == 3
    q = "SELECT profile, sum(delay_ns) FROM {} WHERE trace = 'syncprims.trace' GROUP BY ALL ORDER BY ALL"
    rc, want, _ = _sql(capsys, q.format("blocking").replace("sum(delay_ns)", "sum(delay_ns) AS s"), SYNC)
    assert [(r["profile"], r["s"]) for r in want] == con.sql(q.format(read("blocking"))).fetchall()
    assert con.sql(f"SELECT count(*) FROM {read('host')}").fetchall() == [(0,)]  # no rows: still readable
    meta = con.sql(f"SELECT value FROM parquet_kv_metadata('{out}/stw/**/*.parquet') WHERE key = 'tracetui_schema'")
    assert {bytes(v).decode() for (v,) in meta.fetchall()} == {str(SCHEMA_VERSION)}


def test_tables_are_cached_reused_and_invalidated_when_the_trace_changes(tmp_path: Path, _cache: Path) -> None:
    a, b = tmp_path / "a.trace", tmp_path / "b.trace"
    shutil.copy(GCSTW[0], a)
    shutil.copy(SYNC, b)
    root = str(_cache)
    stale, fresh = _cache / ".tmp-killed", _cache / ".tmp-running"  # left by a killed conversion; another's
    stale.mkdir(parents=True)
    fresh.mkdir()
    os.utime(stale, (1, 1))
    seen: list[int] = []
    first = load([str(a), str(b)], root, jobs=2, progress=lambda done, total, _: seen.append(done))
    assert not first.warnings and seen == [1, 2]
    assert not stale.exists() and fresh.exists()
    assert [c.cached for c in first.converted.values()] == [False, False]
    again = load([str(a), str(b)], root, jobs=1)
    assert [c.cached for c in again.converted.values()] == [True, True]
    assert again.converted["a.trace"].directory == first.converted["a.trace"].directory
    other = os.path.relpath(a)  # another spelling of the same file: the cache serves it, the path is this one
    view = load([other], root, jobs=1)
    assert view.converted["a.trace"].cached
    assert run(connect(view), "SELECT path FROM traces")[1] == [(other,)]
    shutil.copy(GCSTW[-1], a)  # a changes: another size and mtime
    os.utime(a, ns=(1, 1))
    third = load([str(a), str(b)], root, jobs=1)
    assert [c.cached for c in third.converted.values()] == [False, True]
    con = duckdb.connect()
    stw = os.path.join(third.converted["a.trace"].directory, "stw", "*.parquet")
    got = con.sql(f"SELECT count(*) FROM read_parquet('{stw}')").fetchall()
    assert got == [(24,)]


def test_perfetto_files_and_their_host_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.perfetto.test_perfetto_host import GROUP, _host_model
    from tracetui.perfetto.writer import write_trace

    pf = tmp_path / "rec.pftrace"
    write_trace(_host_model(), str(pf))
    rc, rows, err = _sql(capsys, "SELECT section, name, unit, count(*) AS n FROM host GROUP BY ALL ORDER BY ALL", pf)
    assert rc == 0, err
    assert {"section": GROUP, "name": "RSS", "unit": "bytes", "n": 30} in rows
    rc, rows, _ = _sql(capsys, "SELECT source, go_version FROM traces", pf)
    assert rows == [{"source": "gotrace", "go_version": "1.27.3"}]
    q = "SELECT count(DISTINCT g) AS n, count(DISTINCT g) FILTER (g IN (3, 5)) AS injected FROM {}"
    for table in ("states", "goroutines", "blocking"):  # the recorder's goroutines (3 and 5 here) left out
        rc, rows, _ = _sql(capsys, q.format(table), pf)
        assert rows[0]["n"] > 0 and rows[0]["injected"] == 0, table


def test_wall_clock_start_is_the_clock_snapshot_go_prints(capsys: pytest.CaptureFixture[str], gotool: GoTool) -> None:
    files = [TRACES / "go1.22.10" / "gcstw.trace", TRACES / "go1.27.3" / "gcstw.trace"]
    rc, rows, err = _sql(
        capsys, "SELECT start_unix_ns AS wall, base_time_ns, start_time FROM traces ORDER BY trace", *files
    )
    assert rc == 0, err
    assert rows[0]["wall"] is None  # Go 1.22 traces have no clock snapshot
    out = gotool.parsed(files[1]).stdout.decode()
    m = re.search(r" Trace=(\d+) Mono=\d+ Wall=([\d-]+T[\d:]+)\.(\d+)(Z|[+-][\d:]+)", out)
    assert m is not None
    secs = int(datetime.fromisoformat(m.group(2) + m.group(4).replace("Z", "+00:00")).timestamp())
    snap_ns = secs * 1_000_000_000 + int(m.group(3).ljust(9, "0"))
    assert rows[1]["wall"] == snap_ns - (int(m.group(1)) - rows[1]["base_time_ns"])
    assert str(rows[1]["start_time"]).startswith(
        datetime.fromtimestamp(snap_ns // 10**9, UTC).strftime("%Y-%m-%dT%H:%M")
    )


def test_an_unwritable_cache_still_answers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file: no cache directory can be made under it
    rc, rows, err = _sql(capsys, "SELECT count(*) AS n FROM stw", SYNC)
    assert rc == 0 and rows[0]["n"] > 0 and not err, err
