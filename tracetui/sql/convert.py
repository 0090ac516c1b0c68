"""One trace file -> its tables as Parquet files (one per table), cached.

The cache holds a directory per trace under `$XDG_CACHE_HOME/tracetui/sql` (default
~/.cache/tracetui/sql), named after the trace's absolute path, with a `key.json` of the
trace's size, mtime, the schema version and tracetui's version: reused while they match, rewritten when the
trace changes (or tracetui's tables do). Writing happens in a temporary directory renamed
into place, so a concurrent or interrupted conversion never leaves a half-written cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tracetui import __version__
from tracetui.errors import TracetuiError
from tracetui.sql.tables import SCHEMA, SCHEMA_VERSION, Columns

if TYPE_CHECKING:
    import duckdb

KEY = "key.json"


@dataclass(frozen=True)
class Converted:
    """Where a trace's tables are (a directory of TABLE/N.parquet), and what to tell the user."""

    path: str
    directory: str
    cached: bool  # reused from the cache
    warning: str | None = None  # a partial trace's warning


def cache_root() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tracetui", "sql")


STALE_S = 3600.0  # a conversion's temporary directory older than this was left by a killed process


def sweep(root: str, now: float | None = None) -> None:
    """Remove the temporary directories killed conversions left under `root`."""
    import time

    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for e in entries:
        try:
            if e.name.startswith(".tmp-") and e.is_dir() and now - e.stat().st_mtime > STALE_S:
                shutil.rmtree(e.path, ignore_errors=True)
        except OSError:
            pass


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


def select_sql(table: str, source: str, constants: Iterable[str] = ()) -> str:
    """SELECT the columns of `table` from a registered dict of arrays, typed as SCHEMA says,
    with the `trace` column (parameter $trace) first; `constants` are columns given as
    parameters ($c_NAME), the same on every row."""
    const = set(constants)
    cols = []
    for name, typ, _ in SCHEMA[table]:
        expr = f"$c_{name}" if name in const else f'"{name}"'
        if name == "file_mtime":
            expr = f"to_timestamp({expr})"
        elif name == "start_time":
            expr = f"make_timestamp_ns({expr})"
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
    """Each table as out/TABLE/N.parquet, a file per part (at least one), its `trace` column
    = name, the schema version in the files' key-value metadata."""
    meta = f"KV_METADATA {{tracetui_schema: '{SCHEMA_VERSION}'}}"
    for table, parts in tables:
        os.makedirs(os.path.join(out, table))
        n = 0
        for n, part in enumerate(parts, 1):
            dest = literal(os.path.join(out, table, f"{n - 1}.parquet"))
            arrays = {k: v for k, v in part.items() if isinstance(v, np.ndarray)}
            params = {f"c_{k}": v for k, v in part.items() if k not in arrays}
            with _registered(con, arrays):
                sql = select_sql(table, "_cols", (k[2:] for k in params))
                con.execute(f"COPY ({sql}) TO {dest} (FORMAT parquet, {meta})", {"trace": name, **params})
        if not n:
            dest = literal(os.path.join(out, table, "0.parquet"))
            con.execute(f"COPY ({empty_sql(table)}) TO {dest} (FORMAT parquet, {meta})")


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, cols: dict[str, np.ndarray]) -> Iterator[None]:
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
        try:
            os.rename(tmp, final)
        except OSError:
            if (hit := cached(path, root)) is None:
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another process converted it at the same time
            return Converted(path, hit[0], True, hit[1])
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise TracetuiError(f"cannot write its tables: {e.strerror or e}", path=root) from None
    return Converted(path, final, False, opened.warning)
