"""A query's result as a Rich table, CSV or JSON; the schema as a `\\d`-style listing."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
from collections.abc import Sequence
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracetui.sanitize import safe_text
from tracetui.sql.tables import SCHEMA, SCHEMA_VERSION


def _cell(v: Any) -> Text:
    """A cell as plain text: control characters escaped, brackets not read as Rich markup."""
    if v is None:
        return Text("NULL", style="dim")
    if isinstance(v, float):
        return Text(f"{v:.6g}")
    return Text(safe_text(str(v), keep_newlines=False))


def rich_table(console: Console, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    if not columns:
        return
    t = Table(show_edge=False, header_style="bold")
    numeric = [bool(rows) and all(isinstance(r[i], int | float | decimal.Decimal) for r in rows if r[i] is not None)
               for i in range(len(columns))]  # fmt: skip
    for c, num in zip(columns, numeric):
        t.add_column(_cell(c), justify="right" if num else "left", overflow="fold")
    for r in rows:
        t.add_row(*(_cell(v) for v in r))
    console.print(t)
    console.print(f"({len(rows)} row{'' if len(rows) == 1 else 's'})", style="dim", highlight=False)


def _plain(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date | dt.time | dt.timedelta):
        return v.isoformat() if not isinstance(v, dt.timedelta) else v.total_seconds()
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, bytes):
        return v.hex()
    return v


def write_csv(out: IO[str], columns: Sequence[str], rows: Sequence[tuple[Any, ...]], sanitize: bool) -> None:
    """CSV; `sanitize` (a terminal): trace text with control characters escaped."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        vals = [_plain(v) for v in r]
        w.writerow([safe_text(v) if sanitize and isinstance(v, str) else v for v in vals])


def write_json(out: IO[str], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """A list of row objects (JSON escapes control characters itself)."""
    json.dump([dict(zip(columns, map(_plain, r))) for r in rows], out, default=str)
    out.write("\n")


def print_schema(console: Console) -> None:
    """Every table and its columns, as psql's \\d lists them."""
    console.print(f"tracetui SQL schema version {SCHEMA_VERSION}; times are ns from each trace's start\n",
                  highlight=False)  # fmt: skip
    for table, cols in SCHEMA.items():
        t = Table(title=f'Table "{table}"', title_justify="left", show_edge=False, header_style="bold")
        for h in ("Column", "Type", "About"):
            t.add_column(h)
        t.add_row("trace", "VARCHAR", "the trace file's name")
        for c, ty, about in cols:
            t.add_row(c, ty, about)
        console.print(t)
        console.print()
