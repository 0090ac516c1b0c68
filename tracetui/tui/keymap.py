"""Every key binding of the viewer, each with an id and a help text, and the user's own
keys by id from a TOML file. The help screen and the README's table come from here."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping

from textual.binding import Binding

# (keys, action, footer text, id, shown in the footer, help text)
_TIMELINE = (
    ("w,plus", "zoom(0.5)", "Zoom in", "zoom-in", True, "zoom in around the cursor"),
    ("s,minus", "zoom(2.0)", "Zoom out", "zoom-out", True, "zoom out around the cursor"),
    ("a", "pan(-0.25)", "Pan left", "pan-left", False, "pan left a quarter of the view"),
    ("d", "pan(0.25)", "Pan right", "pan-right", False, "pan right a quarter of the view"),
    ("h,left", "move_time(-1)", "Cursor left", "cursor-left", False, "cursor one column earlier"),
    ("l,right", "move_time(1)", "Cursor right", "cursor-right", False, "cursor one column later"),
    ("H,shift+left", "move_time(-10)", "Cursor far left", "cursor-far-left", False, "cursor ten columns earlier"),
    ("L,shift+right", "move_time(10)", "Cursor far right", "cursor-far-right", False, "cursor ten columns later"),
    ("k,up", "move_row(-1)", "Row up", "row-up", False, "cursor one row up"),
    ("j,down", "move_row(1)", "Row down", "row-down", False, "cursor one row down"),
    ("pageup", "page(-1)", "Page up", "page-up", False, "cursor one screen of rows up"),
    ("pagedown", "page(1)", "Page down", "page-down", False, "cursor one screen of rows down"),
    ("home,g", "first_row", "First row", "first-row", False, "cursor to the first row"),
    ("end,G", "last_row", "Last row", "last-row", False, "cursor to the last row (live: follow the newest data)"),
    ("F", "follow_live", "Follow", "follow-live", False, "live: follow the newest data (navigating stops it)"),
    ("0", "fit", "Fit", "fit", False, "show the whole trace"),
    ("enter", "app.toggle_details", "Details", "details", True, "details of the span under the cursor (again: hide)"),
    ("f", "focus_span", "Focus", "focus-span", False, "zoom to the span under the cursor"),
    ("x", "longest", "Longest", "longest-span", False, "zoom to the longest span on the row (say, the longest STW)"),
    ("comma", "next_event(False)", "Prev event", "prev-event", False, "previous state change on the row"),
    ("full_stop", "next_event(True)", "Next event", "next-event", False, "next state change on the row"),
    ("right_square_bracket", "follow", "Unblocker", "follow-unblocker", True,
     "jump to the goroutine that unblocked (or created) this one"),
    ("left_square_bracket", "follow_back", "Back", "follow-back", False, "jump back from where ] came"),
    ("m", "mark", "Mark", "mark", False, "set mark A, then B (shows the time between); again: clear"),
    ("space", "toggle_group", "Fold", "toggle-group", False,
     "fold or unfold the goroutine group or host section of this row"),
    ("c", "toggle_all_groups", "Fold all", "toggle-all-groups", False,
     "fold every goroutine group and host section (all folded: unfold them all)"),
    ("o", "cycle_order", "Order", "cycle-group-order", False,
     "order goroutine groups by running time, first id or name"),
    ("i", "toggle_injected", "Record's code", "toggle-injected", False,
     "show or hide record's injected goroutines (hidden at first)"),
    ("ctrl+z", "undo", "Undo", "undo", False, "undo the last navigation (zoom, pan, jump)"),
)  # fmt: skip

_APP = (
    ("1", "view(1)", "Timeline", "view-timeline", False, "the timeline"),
    ("2", "view(2)", "Goroutines", "view-goroutines", False,
     "goroutines by start function, with go tool trace's breakdown (Enter: a group, then one on the timeline)"),
    ("3", "view(3)", "Profiles", "view-profiles", False,
     "block/CPU profiles as stack trees (r: sync, net, syscall, sched, per reason, cpu; Enter: the longest wait)"),
    ("4", "view(4)", "Histograms", "view-histograms", False,
     "latency histograms (←/→ bucket, p: the p99 bucket's events, Enter: one on the timeline)"),
    ("5", "view(5)", "MMU", "view-mmu", False,
     "minimum mutator utilization by window (←/→ window, s: sweeping too, Enter: the worst window on the timeline)"),
    ("v", "switch_run", "Run A/B", "switch-run", False, "--compare: show the other run"),
    ("question_mark,f1", "help", "Help", "help", True, "this help"),
    ("slash", "search", "Search", "search", True, "search goroutines (id, start function), logs, label:X"),
    ("colon", "sql", "SQL", "sql", False,
     "SQL query (tracetui sql's tables); Enter: g at start_ns/ts"),
    ("n", "search_next(1)", "Next match", "search-next", False, "next search match"),
    ("N", "search_next(-1)", "Prev match", "search-prev", False, "previous search match"),
    ("ctrl+g", "goto", "Go to", "goto", False,
     "go to a time (1.5ms, 2s), a goroutine (G12 or 12), P3, M7 or the host rows (host)"),
    ("escape", "escape", "Back", "escape", False, "close the panel or prompt; stop loading"),
    ("q", "quit", "Quit", "quit", True, "quit (also stops loading)"),
    ("ctrl+c", "quit", "Quit", "quit-now", False, "quit at once, even while loading or typing in a prompt"),
)  # fmt: skip


# Keys that open the prompt act at once (priority), so that keys typed right behind them,
# as a fast typist or an SSH link delivers them, go into the prompt and not to the rows.
_AT_ONCE = {"search", "goto", "sql", "quit-now"}


def _bindings(table: tuple[tuple[str, str, str, str, bool, str], ...]) -> list[Binding]:
    return [Binding(k, a, d, show=s, id=i, tooltip=h, priority=i in _AT_ONCE) for k, a, d, i, s, h in table]


TIMELINE_BINDINGS = _bindings(_TIMELINE)
APP_BINDINGS = _bindings(_APP)

_KEY_NAMES = {
    "plus": "+", "minus": "-", "comma": ",", "full_stop": ".", "right_square_bracket": "]",
    "left_square_bracket": "[", "question_mark": "?", "slash": "/", "colon": ":", "space": "Space", "enter": "Enter",
    "escape": "Esc", "pageup": "PgUp", "pagedown": "PgDn", "home": "Home", "end": "End", "left": "←",
    "right": "→", "up": "↑", "down": "↓", "shift+left": "Shift+←", "shift+right": "Shift+→", "ctrl+z": "Ctrl+Z",
    "ctrl+g": "Ctrl+G", "ctrl+c": "Ctrl+C", "f1": "F1",
}  # fmt: skip


def key_label(keys: str) -> str:
    """`w,plus` -> `w / +`."""
    return " / ".join(_KEY_NAMES.get(k, k) for k in keys.split(","))


def help_rows(keymap: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(keys, help text, binding id) for every binding, timeline first; `keymap` (id ->
    keys) overrides the defaults."""
    keymap = keymap or {}
    return [(key_label(keymap.get(i, k)), h, i) for k, _, _, i, _, h in (*_TIMELINE, *_APP)]


def keys_file(environ: Mapping[str, str] = os.environ) -> str:
    """Where the user's keys live: $TRACETUI_KEYS, else $XDG_CONFIG_HOME/tracetui/keys.toml."""
    if environ.get("TRACETUI_KEYS"):
        return environ["TRACETUI_KEYS"]
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(environ.get("HOME", "~"), ".config")
    return os.path.join(base, "tracetui", "keys.toml")


def load_keymap(path: str) -> tuple[dict[str, str], str | None]:
    """The user's keys (binding id -> keys, e.g. `zoom-in = "i,w"` under `[keys]`) and a
    one-line warning if the file is not usable (then its keys are ignored). No file: {}."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return {}, None
    except (OSError, tomllib.TOMLDecodeError) as e:
        return {}, f"{path}: ignored: {e}"
    keys = data.get("keys", {})
    known = {i for _, _, _, i, _, _ in (*_TIMELINE, *_APP)}
    if not isinstance(keys, dict):
        return {}, f'{path}: ignored: [keys] must be a table of binding id = "keys"'
    bad = sorted(k for k, v in keys.items() if k not in known or not isinstance(v, str) or not v.strip())
    if bad:
        return {}, f"{path}: ignored: unknown binding ids or empty keys: {', '.join(bad)} (see ? for the ids)"
    return {k: v.replace(" ", "") for k, v in keys.items()}, None


def markdown_table() -> str:
    """The key table for the README."""
    lines = ["| keys | what it does | binding id |", "|---|---|---|"]
    for keys, text, ident in help_rows():
        cell = keys.replace("|", r"\|")
        lines.append(f"| {cell} | {text} | `{ident}` |")
    return "\n".join(lines)
