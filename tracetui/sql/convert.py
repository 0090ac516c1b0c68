"""One trace file -> its tables as Parquet files (one per table), cached.

The cache holds a directory per trace under `$XDG_CACHE_HOME/tracetui/sql` (default
~/.cache/tracetui/sql), named after the trace's absolute path, with a `key.json` of the
trace's size, mtime, the schema version and tracetui's version: reused while they match, rewritten when the
trace changes (or tracetui's tables do). Writing happens in a temporary directory renamed
into place, so a concurrent or interrupted conversion never leaves a half-written cache.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracetui import __version__
from tracetui.errors import TracetuiError
from tracetui.sql.tables import SCHEMA, SCHEMA_VERSION, Columns

if TYPE_CHECKING:
    import duckdb

KEY = "key.json"


@dataclass(frozen=True)
class Converted:
    """Where a trace's tables are (a directory of TABLE.parquet), and what to tell the user."""

    path: str
    directory: str
    cached: bool  # reused from the cache
    warning: str | None = None  # a partial trace's warning


def cache_root() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tracetui", "sql")


def _key(path: str) -> dict[str, object]:
    st = os.stat(path)
    return {
        "path": os.path.abspath(path),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "schema": SCHEMA_VERSION,
        "tracetui": __version__,
    }


def cache_dir(path: str, root: str | None = None) -> str:
    digest = hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:24]
    return os.path.join(root or cache_root(), f"{os.path.basename(path)[:40]}-{digest}")


def cached(path: str, root: str) -> tuple[str, str | None] | None:
    """The cache directory of `path` and its warning if it is current, else None."""
    d = cache_dir(path, root)
    try:
        with open(os.path.join(d, KEY)) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("key") != _key(path):
        return None
    return d, meta.get("warning")


def select_sql(table: str, source: str) -> str:
    """SELECT the columns of `table` from a registered dict of arrays, typed as SCHEMA says,
    with the `trace` column (parameter $trace) first."""
    cols = []
    for name, typ, _ in SCHEMA[table]:
        expr = {"file_mtime": 'to_timestamp("file_mtime")', "start_time": 'make_timestamp_ns("start_time")'}.get(
            name, f'"{name}"'
        )
        cols.append(f'CAST({expr} AS {typ}) AS "{name}"')
    return f"SELECT CAST($trace AS VARCHAR) AS trace, {', '.join(cols)} FROM {source}"


def connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that prints no progress bar of its own."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def write_parquet(
    con: duckdb.DuckDBPyConnection, tables: Iterable[tuple[str, Iterator[Columns]]], name: str, out: str
) -> None:
    """Each table as out/TABLE.parquet, its `trace` column = name, the schema version in the
    files' key-value metadata. A table in several parts is gathered in DuckDB first."""
    meta = f"KV_METADATA {{tracetui_schema: '{SCHEMA_VERSION}'}}"
    for table, parts in tables:
        dest = literal(os.path.join(out, f"{table}.parquet"))
        first = next(parts, None)
        if first is None:
            con.execute(f"COPY ({empty_sql(table)}) TO {dest} (FORMAT parquet, {meta})")
            continue
        second = next(parts, None)
        if second is None:
            with _registered(con, first):
                con.execute(f"COPY ({select_sql(table, '_cols')}) TO {dest} (FORMAT parquet, {meta})", {"trace": name})
            continue
        for k, part in enumerate(itertools.chain([first, second], parts)):
            with _registered(con, part):
                verb = "CREATE TEMP TABLE _parts AS" if k == 0 else "INSERT INTO _parts"
                con.execute(f"{verb} {select_sql(table, '_cols')}", {"trace": name})
            del part
        del first, second
        con.execute(f"COPY _parts TO {dest} (FORMAT parquet, {meta})")
        con.execute("DROP TABLE _parts")


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, cols: Columns) -> Iterator[None]:
    con.register("_cols", cols)
    try:
        yield
    finally:
        con.unregister("_cols")


def literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def empty_sql(table: str) -> str:
    """SELECT no rows with the columns of `table` (trace first)."""
    typed = ", ".join(f'CAST(NULL AS {t}) AS "{c}"' for c, t, _ in SCHEMA[table])
    return f"SELECT CAST(NULL AS VARCHAR) AS trace, {typed} WHERE false"


def convert(path: str, root: str, reuse: bool = True) -> Converted:
    """The Parquet tables of one trace file in its directory under `root`: reused if current
    (and `reuse`), else read and written. Raises TracetuiError for a file that is not a trace."""
    from tracetui.load import check_readable, open_model
    from tracetui.sql.tables import tables

    check_readable(path)
    if reuse and (hit := cached(path, root)) is not None:
        return Converted(path, hit[0], True, hit[1])
    key = _key(path)
    opened = open_model(path)
    cols = tables(opened.trace, path, os.stat(path).st_mtime, opened.wall_start)
    os.makedirs(root, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=root)
    try:
        con = connection()
        try:
            write_parquet(con, cols, os.path.basename(path), tmp)
        finally:
            con.close()
        with open(os.path.join(tmp, KEY), "w") as f:
            json.dump({"key": key, "warning": opened.warning}, f)
        final = cache_dir(path, root)
        shutil.rmtree(final, ignore_errors=True)
        os.rename(tmp, final)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise TracetuiError(f"cannot write its tables: {e.strerror or e}", path=root) from None
    return Converted(path, final, False, opened.warning)
