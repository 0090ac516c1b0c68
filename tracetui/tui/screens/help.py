"""`?`: every key binding with what it does, and how to read the rows."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tracetui.tui.keymap import help_rows, keys_file

ROWS_HELP = (
    "Rows: GC, STW (Enter: its kind), Assists, Heap (the goal as a line), Goroutines (running / runnable / "
    "blocked, stacked), P<n> (the goroutine on each P), M<n> (threads), then the goroutines by start function; "
    "a group's header shows how many run (a bar: their share of the Ps), wait to run (▒) or are blocked (░); "
    "big groups start folded (Space folds, o orders them; record's own goroutines: i). Host rows follow, a "
    "section per program. A cell with one state change shows where it falls (a partial block in two "
    "colours); a shaded cell holds several."
)


class HelpScreen(ModalScreen[None]):
    """All bindings, built from the keymap (so it is never out of date), with the user's
    own keys where a keys file sets them."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: round $accent;
                                  background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help-close"),
    ]

    def __init__(self, keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = keymap or {}

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 1))
        table.add_column("keys", no_wrap=True, style="bold")
        table.add_column("what it does")
        table.add_column("id", style="dim")
        for keys, text, ident in help_rows(self.keymap):
            table.add_row(Text(keys), Text(text), Text(ident))
        with VerticalScroll():
            yield Static(Text("tracetui keys  (Esc closes; ↑ ↓ PgUp PgDn scroll)", style="bold"), markup=False)
            yield Static(table, markup=False)
            yield Static(Text("\n" + ROWS_HELP), markup=False)
            yield Static(
                Text(f'\nYour own keys, by id (TOML: [keys] zoom-in = "i,w"), in\n{keys_file()}'), markup=False
            )

    def action_close(self) -> None:
        self.dismiss(None)
