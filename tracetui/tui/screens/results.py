"""A table of rows that point at the timeline (a `:` query's result, `--fail-on` breaches):
Enter on a row jumps there, Esc goes back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tracetui.sanitize import safe_text

CELL_CHARS = 200  # longer cells are cut (a log message, a stack's text)


@dataclass(frozen=True)
class Target:
    """Where a row points: a goroutine and/or a time, or a track's span (a breach)."""

    gid: int | None = None
    t: int | None = None
    span: tuple[int, int, int] | None = None  # (track index, start, end)

    @property
    def any(self) -> bool:
        return self.gid is not None or self.t is not None or self.span is not None


class Jump(Message):
    """Show this target on the timeline."""

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target


def cell(v: Any) -> Text:
    """A value as plain text (never markup), escapes and control characters made harmless."""
    s = "NULL" if v is None else str(v)
    s = safe_text(s, keep_newlines=False)
    return Text(s if len(s) <= CELL_CHARS else s[: CELL_CHARS - 1] + "…", no_wrap=True)


class ResultsScreen(Screen[None]):
    """Rows in a table; Enter on one that points somewhere jumps the timeline there."""

    DEFAULT_CSS = "ResultsScreen #title { padding: 0 1; } ResultsScreen DataTable { height: 1fr; }"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back", id="results-back")]

    def __init__(
        self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], targets: Sequence[Target]
    ) -> None:
        super().__init__()
        self.title_text = title
        self.columns = list(columns)
        self.rows = rows
        self.targets = list(targets)

    def compose(self) -> ComposeResult:
        yield Static(Text(safe_text(self.title_text, keep_newlines=False)), id="title")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*(cell(c) for c in self.columns))
        for i, row in enumerate(self.rows):
            table.add_row(*(cell(v) for v in row), key=str(i))
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        i = int(str(event.row_key.value))
        if 0 <= i < len(self.targets) and self.targets[i].any:
            self.app.post_message(Jump(self.targets[i]))
        else:
            self.notify("this row names no goroutine or time to go to", timeout=3)

    def action_back(self) -> None:
        self.app.pop_screen()
