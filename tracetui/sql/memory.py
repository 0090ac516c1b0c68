"""The tables of one model in an in-memory DuckDB (the viewer's `:` prompt): no Parquet,
the numpy columns registered as `tracetui sql`'s converter does; and where a result row
points on the timeline."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tracetui.sql.convert import _registered, connection, empty_sql, select_sql
from tracetui.sql.tables import tables

if TYPE_CHECKING:
    import duckdb

    from tracetui.model.trace import Trace

MAX_ROWS = 300  # rows a result shows (the rest: counted, not fetched)

# A row names a goroutine by its first column called one of these, and a time by its first
# column called one of these (in this order of preference); case does not matter.
GOROUTINE_COLUMNS = ("g", "gid", "goroutine")
TIME_COLUMNS = ("start_ns", "ts_ns", "ts", "at_ns", "time_ns", "t_ns", "created_ns")


def model_connection(trace: Trace, path: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with every table of `tracetui sql --schema` made from `trace`
    (its `trace` column: the file's base name)."""
    con = connection()
    name = os.path.basename(path)
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        mtime = 0.0
    for table, parts in tables(trace, path, mtime):
        made = False
        for part in parts:
            arrays = {k: v for k, v in part.items() if isinstance(v, np.ndarray)}
            params = {f"c_{k}": v for k, v in part.items() if k not in arrays}
            with _registered(con, arrays):
                sql = select_sql(table, "_cols", (k[2:] for k in params))
                head = f'INSERT INTO "{table}" ' if made else f'CREATE TABLE "{table}" AS '
                con.execute(head + sql, {"trace": name, **params})
            made = True
        if not made:
            con.execute(f'CREATE TABLE "{table}" AS {empty_sql(table)}')
    return con


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    more: bool  # there were more than MAX_ROWS rows


def query(con: duckdb.DuckDBPyConnection, sql: str, limit: int = MAX_ROWS) -> Result:
    """The first `limit` rows of the query (TracetuiError with DuckDB's message, one line)."""
    import duckdb

    from tracetui.sql.engine import query_error

    try:
        rel = con.sql(sql)
    except duckdb.Error as e:
        raise query_error(e) from None
    if rel is None:  # a statement without a result (CREATE VIEW ...)
        return Result([], [], False)
    try:
        rows = rel.limit(limit + 1).fetchall()
    except duckdb.Error as e:
        raise query_error(e) from None
    return Result(list(rel.columns), rows[:limit], len(rows) > limit)


def _column(columns: Sequence[str], names: Sequence[str]) -> int:
    lower = [c.lower() for c in columns]
    return next((lower.index(n) for n in names if n in lower), -1)


def target(columns: Sequence[str], row: Sequence[Any]) -> tuple[int | None, int | None]:
    """(goroutine id, time in ns) the row names, each None where it names none (a column
    missing, or its value not a whole number >= 0)."""

    def whole(i: int) -> int | None:
        if i < 0:
            return None
        v = row[i]
        if isinstance(v, bool) or not isinstance(v, (int, np.integer, float)) or np.isnan(v) or v < 0:
            return None
        return int(v) if float(v).is_integer() else None

    return whole(_column(columns, GOROUTINE_COLUMNS)), whole(_column(columns, TIME_COLUMNS))
