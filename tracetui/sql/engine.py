"""DuckDB over the tables of many traces: convert each (in parallel, cached), then one view
per table over every trace's Parquet file, with its `trace` column the file's name."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

from tracetui.errors import TracetuiError
from tracetui.sql.convert import Converted, connection, convert, empty_sql, literal, sweep
from tracetui.sql.tables import SCHEMA, SCHEMA_VERSION

if TYPE_CHECKING:
    import duckdb

Progress = Callable[[int, int, str], None]  # (done, total, the file just done)


@dataclass
class Loaded:
    """The traces converted, by their `trace` name, and the warnings about the rest."""

    converted: dict[str, Converted] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


TRACE_SUFFIXES = (".trace", ".gotrace", ".pftrace", ".out")


def expand(paths: Sequence[str]) -> list[str]:
    """The files to read: a directory stands for the traces in it (by their suffixes, sorted)."""
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(os.path.join(p, n) for n in os.listdir(p) if n.endswith(TRACE_SUFFIXES))
        else:
            out.append(p)
    return out


def trace_names(paths: Sequence[str]) -> list[str]:
    """Each file's `trace` name: its base name, or the path as given when two share it."""
    base = [os.path.basename(p) for p in paths]
    return [b if base.count(b) == 1 else p for b, p in zip(base, paths)]


def _one(path: str, root: str, reuse: bool) -> Converted | str:
    """Convert one file; a user's error (not a trace, unreadable) as its one line."""
    try:
        return convert(path, root, reuse)
    except TracetuiError as e:
        return e.one_line()
    except Exception as e:  # noqa: BLE001 - a bug: name it, keep the other files going
        return f"tracetui: {path}: internal error: {type(e).__name__}: {e}"


def load(paths: Sequence[str], root: str, reuse: bool = True, jobs: int | None = None,
         progress: Progress | None = None) -> Loaded:  # fmt: skip
    """Convert the files (in `jobs` processes, default one per core), skipping with a warning
    any that is not a trace."""
    sweep(root)
    names = trace_names(paths)
    out = Loaded()
    results: dict[int, Converted | str] = {}
    jobs = jobs or os.cpu_count() or 1
    todo = list(range(len(paths)))
    if jobs > 1 and len(paths) > 1:
        with ProcessPoolExecutor(min(jobs, len(paths)), mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(_one, paths[i], root, reuse): i for i in todo}
            for n, fut in enumerate(as_completed(futures), 1):
                results[futures[fut]] = fut.result()
                if progress:
                    progress(n, len(paths), paths[futures[fut]])
    else:
        for n, i in enumerate(todo, 1):
            results[i] = _one(paths[i], root, reuse)
            if progress:
                progress(n, len(paths), paths[i])
    for i in todo:
        r = results[i]
        if isinstance(r, str):
            out.warnings.append(f"{r} (skipped)")
            continue
        if r.warning:
            out.warnings.append(r.warning)
        out.converted[names[i]] = r
    return out


def path_of(table: str, path: str) -> str:
    """For `traces`: the path as given now (the cache may have been made from another spelling)."""
    return f", {literal(path)} AS path" if table == "traces" else ""


def connect(loaded: Loaded) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view per table over every converted trace."""
    con = connection()
    for table in SCHEMA:
        parts = [
            f"SELECT * REPLACE ({literal(name)} AS trace{path_of(table, c.path)}) "
            f"FROM read_parquet({literal(os.path.join(c.directory, table, '*.parquet'))})"
            for name, c in loaded.converted.items()
        ]
        if not parts:
            parts = [empty_sql(table)]
        con.execute(f'CREATE VIEW "{table}" AS ' + " UNION ALL ".join(parts))
    return con


def query_error(e: Exception) -> TracetuiError:
    """DuckDB's message as one line (its hint, e.g. 'Did you mean', kept)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip() and not ln.strip().startswith(("LINE ", "^"))]
    if len(lines) > 1 and lines[1].startswith("Did you mean") and lines[1].split('"')[1:2] not in ([t] for t in SCHEMA):
        lines[1] = "('tracetui sql --schema' lists the tables)"  # DuckDB suggests its own catalog's names
    return TracetuiError(" ".join(lines[:2]) or type(e).__name__)


def run(con: duckdb.DuckDBPyConnection, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The query's column names and rows (none for a statement without a result)."""
    import duckdb

    try:
        rel = con.sql(query)
        if rel is None:
            return [], []
        return list(rel.columns), rel.fetchall()
    except duckdb.Error as e:
        raise query_error(e) from None


def schema_json() -> dict[str, Any]:
    """The versioned schema: tables, their columns, types and meanings."""
    return {
        "schema_version": SCHEMA_VERSION,
        "times": "int64 ns from each trace's start",
        "tables": {
            t: [{"name": "trace", "type": "VARCHAR", "about": "the trace file's name"}]
            + [{"name": c, "type": ty, "about": about} for c, ty, about in cols]
            for t, cols in SCHEMA.items()
        },
    }


def export_parquet(con: duckdb.DuckDBPyConnection, out: str) -> None:
    """Every table under out/TABLE/trace=NAME/*.parquet (hive partitions; a table without
    rows: out/TABLE/empty.parquet), and schema.json."""
    import duckdb

    try:
        os.makedirs(out, exist_ok=True)
        meta = f"KV_METADATA {{tracetui_schema: '{SCHEMA_VERSION}'}}"
        for table in SCHEMA:
            dest = os.path.join(out, table)
            rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
            if rows:
                con.execute(
                    f'COPY (SELECT * FROM "{table}") TO {literal(dest)} '
                    f"(FORMAT parquet, PARTITION_BY (trace), OVERWRITE_OR_IGNORE, {meta})"
                )
            else:  # no partition to write: one empty file, so that readers still find the table's columns
                os.makedirs(dest, exist_ok=True)
                con.execute(
                    f'COPY (SELECT * FROM "{table}") TO {literal(os.path.join(dest, "empty.parquet"))} '
                    f"(FORMAT parquet, {meta})"
                )
        with open(os.path.join(out, "schema.json"), "w") as f:
            json.dump(schema_json(), f, indent=1)
            f.write("\n")
    except (OSError, duckdb.Error) as e:
        raise TracetuiError(f"cannot write: {getattr(e, 'strerror', None) or e}", path=out) from None


def warn(lines: Sequence[str]) -> None:
    for line in lines:
        print(line, file=sys.stderr)
