"""A terminal flame graph of a block profile: the outermost caller on the top row, the frame
that blocked at the bottom of each tower, each frame as wide as the delay through it.

A differential flame graph (`build_diff_flame`, view --compare) draws each frame as wide as
the larger of its delays in run A and run B, red (+) where B waits longer, blue (-) where it
waits less; its line below gives A, B and B - A.

Keys: ←/→ the neighbour on the row, ↑/↓ the caller / the heaviest callee, z zooms into the
frame (the frame fills the width; z on the zoomed frame or Backspace zooms out), Enter asks
for the longest wait through the frame (`FlameGraph.Chosen`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tracetui.analysis.blocking import Samples, by_stack
from tracetui.analysis.rundiff import FrameDelta
from tracetui.model import Trace
from tracetui.sanitize import safe_text
from tracetui.units import format_duration

# Warm flame colours (256-colour indices), picked per function name so a function keeps its colour.
_COLOURS = (166, 172, 178, 208, 214, 202, 136, 130, 173, 209)
# A differential graph: growth in reds, shrinkage in blues (strongest first), about the same grey.
_GROWTH, _SHRINK, _SAME = (203, 210, 224), (69, 111, 153), 250
SAME_SHARE = 0.05  # a change under 5% of the larger side is "about the same"


@dataclass(eq=False)
class FlameNode:
    """One frame in one calling context: delay and waits through it, the heaviest stack."""

    func: str
    file: str
    line: int
    depth: int
    parent: FlameNode | None = None
    delay: int = 0
    count: int = 0
    stack: int = 0  # the stack with the most delay through this frame
    stack_delay: int = -1
    children: list[FlameNode] = field(default_factory=list)
    _index: dict[tuple[str, str, int], FlameNode] = field(default_factory=dict, repr=False)
    diff: FrameDelta | None = None  # a differential graph's frame: A and B (delay is the larger)
    run: str = ""  # a differential graph: the run `stack` is in

    def child(self, key: tuple[str, str, int]) -> FlameNode:
        node = self._index.get(key)
        if node is None:
            node = self._index[key] = FlameNode(*key, depth=self.depth + 1, parent=self)
            self.children.append(node)
        return node

    def label(self) -> str:
        where = f" ({self.file.rsplit('/', 1)[-1]}:{self.line})" if self.file else ""
        return safe_text(f"{self.func}{where}", keep_newlines=False)


def build_flame(trace: Trace, samples: Samples, name: str) -> FlameNode:
    """The callee tree of the samples (outermost frame first), children heaviest first."""
    root = FlameNode(name, "", 0, depth=-1)
    for st in by_stack(samples):
        frames = trace.frames(st.stack) if st.stack else [("(no stack)", "", 0)]
        node = root
        root.delay += st.delay
        root.count += st.count
        for fn, file, line in reversed(frames):
            node = node.child((fn, file, line))
            node.delay += st.delay
            node.count += st.count
            if st.delay > node.stack_delay:
                node.stack, node.stack_delay = st.stack, st.delay
    todo = [root]
    while todo:
        n = todo.pop()
        n.children.sort(key=lambda c: -c.delay)
        todo.extend(n.children)
    return root


def build_diff_flame(root: FrameDelta) -> FlameNode:
    """The flame graph of a differential callee tree (tracetui.analysis.rundiff): each frame
    as wide as the larger of A and B; Enter shows B's longest wait through it (A's if B has
    none)."""

    def node(d: FrameDelta, parent: FlameNode | None) -> FlameNode:
        n = FlameNode(d.func, "", 0, d.depth, parent, max(d.a, d.b), max(d.a_count, d.b_count), diff=d)
        n.stack, n.run = (d.b_stack, "B") if d.b_count else (d.a_stack, "A")
        n.stack_delay = 0 if d.a_count or d.b_count else -1
        return n

    top = node(root, None)
    todo = [(root, top)]
    while todo:
        d, n = todo.pop()
        for c in d.children:
            k = node(c, n)
            n.children.append(k)
            todo.append((c, k))
    return top


def diff_share(d: FrameDelta) -> float:
    """B - A as a share of the larger side, in [-1, 1]."""
    top = max(d.a, d.b)
    return (d.b - d.a) / top if top else 0.0


def _diff_look(d: FrameDelta) -> tuple[str, int]:
    """A differential frame's sign and background colour."""
    r = diff_share(d)
    if abs(r) < SAME_SHARE:
        return " ", _SAME
    level = 0 if abs(r) >= 0.5 else 1 if abs(r) >= 0.2 else 2
    return ("+", _GROWTH[level]) if r > 0 else ("-", _SHRINK[level])


def signed_duration(ns: int) -> str:
    """`+1.2ms`, `-300µs`, `±0`."""
    return "±0" if ns == 0 else f"{'+' if ns > 0 else '-'}{format_duration(abs(ns))}"


def diff_text(d: FrameDelta) -> str:
    """A frame's A, B and change: `A 1.2ms → B 3.4ms (+2.2ms, +183%), waits 400 → 410`."""
    share = (
        ""
        if not d.a and not d.b
        else ", new"
        if not d.a
        else f", x{d.b / d.a:,.0f}"
        if d.b >= 10 * d.a
        else f", {(d.b - d.a) / d.a:+.0%}"
    )
    return (
        f"A {format_duration(d.a)} → B {format_duration(d.b)} ({signed_duration(d.b - d.a)}{share}), "
        f"waits {d.a_count:,} → {d.b_count:,}"
    )


def layout(top: FlameNode, width: int) -> list[list[tuple[int, int, FlameNode]]]:
    """Rows under `top` (which fills the width): per depth, (first column, end column,
    node) of each frame at least one column wide, left to right."""
    rows: list[list[tuple[int, int, FlameNode]]] = [[(0, width, top)]]
    level = [(0.0, float(width), top)]
    while level:
        nxt: list[tuple[float, float, FlameNode]] = []
        for x0, x1, node in level:
            x = x0
            whole = max(node.delay, sum(c.delay for c in node.children))  # (a differential graph's can exceed it)
            for c in node.children:
                w = (x1 - x0) * c.delay / whole if whole else 0.0
                if round(x + w) - round(x) >= 1:
                    nxt.append((x, x + w, c))
                x += w
        if nxt:
            rows.append([(round(a), round(b), n) for a, b, n in nxt])
        level = nxt
    return rows


class FlameGraph(Widget, can_focus=True):
    """The flame graph widget (see the module docstring)."""

    DEFAULT_CSS = "FlameGraph { height: 1fr; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "sibling(-1)", "Left", id="flame-left", show=False),
        Binding("right,l", "sibling(1)", "Right", id="flame-right", show=False),
        Binding("up,k", "caller", "Caller", id="flame-caller", show=False),
        Binding("down,j", "callee", "Callee", id="flame-callee", show=False),
        Binding("z", "zoom", "Zoom", id="flame-zoom"),
        Binding("backspace", "unzoom", "Unzoom", id="flame-unzoom", show=False),
        Binding("enter", "choose", "Longest wait", id="flame-choose"),
    ]
    selected: reactive[FlameNode | None] = reactive(None, always_update=True)

    class Chosen(Message):
        """Enter on a frame: show the longest wait through it (its heaviest stack)."""

        def __init__(self, stack: int, run: str = "") -> None:
            super().__init__()
            self.stack = stack
            self.run = run  # a differential graph: "A" or "B"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.root: FlameNode | None = None
        self.top: FlameNode | None = None  # the zoomed frame
        self._rows: list[list[tuple[int, int, FlameNode]]] = []

    def set_root(self, root: FlameNode) -> None:
        self.root = self.top = root
        self.selected = root.children[0] if root.children else root

    def _layout(self) -> list[list[tuple[int, int, FlameNode]]]:
        if self.top is None:
            return []
        self._rows = layout(self.top, max(self.size.width, 1))
        return self._rows

    def _place(self, node: FlameNode) -> tuple[int, int] | None:
        """(row, index in row) of a node in the current layout."""
        for r, row in enumerate(self._rows):
            for i, (_, _, n) in enumerate(row):
                if n is node:
                    return r, i
        return None

    def render(self) -> Text:
        rows = self._layout()
        if not rows or self.root is None or not self.root.delay:
            return Text("(no waits in this profile)")
        height = max(self.size.height - 1, 1)
        sel = self.selected
        at = self._place(sel) if sel is not None else None
        first = 0 if at is None or at[0] < height else at[0] - height + 1
        out = Text(no_wrap=True, overflow="crop")
        for row in rows[first : first + height]:
            x = 0
            for x0, x1, node in row:
                if x0 > x:
                    out.append(" " * (x0 - x))
                w = x1 - x0
                text, ink = node.label(), "black"
                if node.diff is not None:
                    sign, colour = _diff_look(node.diff)
                    text, ink = sign + text, "color(16)"  # black on light reds and blues
                else:
                    colour = _COLOURS[zlib.crc32(node.func.encode()) % len(_COLOURS)]
                text = text[: max(w - 1, 0)]
                style = Style(color=ink, bgcolor=f"color({colour})", reverse=node is sel, bold=node is sel)
                out.append((" " + text).ljust(w)[:w] if w > 1 else " ", style=style)
                x = x1
            out.append("\n")
        if sel is not None and sel.diff is not None:
            out.append(
                f"{sel.label()}: {diff_text(sel.diff)}  (←/→/↑/↓ move, z zoom, Enter its longest wait)", style="bold"
            )
        elif sel is not None:
            share = 100.0 * sel.delay / self.root.delay
            out.append(
                f"{sel.label()}: {format_duration(sel.delay)} ({share:.1f}%), {sel.count:,} waits  "
                "(←/→/↑/↓ move, z zoom, Enter its longest wait)",
                style="bold",
            )
        return out

    def on_resize(self) -> None:
        self.refresh()

    def action_sibling(self, delta: int) -> None:
        if self.selected is None or not self._rows:
            return
        at = self._place(self.selected)
        if at is None:
            return
        row = self._rows[at[0]]
        self.selected = row[min(max(at[1] + delta, 0), len(row) - 1)][2]

    def action_caller(self) -> None:
        sel = self.selected
        if sel is not None and sel.parent is not None and sel is not self.top:
            self.selected = sel.parent

    def action_callee(self) -> None:
        sel = self.selected
        if sel is None or not self._rows:
            return
        at = self._place(sel)
        if at is None or at[0] + 1 >= len(self._rows):
            return
        shown = [n for _, _, n in self._rows[at[0] + 1] if n.parent is sel]
        if shown:
            self.selected = shown[0]  # the heaviest callee

    def action_zoom(self) -> None:
        sel = self.selected
        if sel is None:
            return
        if sel is self.top:
            self.action_unzoom()
            return
        self.top = sel
        self.refresh()

    def action_unzoom(self) -> None:
        if self.top is not None and self.top.parent is not None:
            self.top = self.top.parent
            self.refresh()

    def action_choose(self) -> None:
        sel = self.selected
        if sel is not None and sel.parent is not None and sel.stack_delay >= 0:
            self.post_message(self.Chosen(sel.stack, sel.run))

    def watch_selected(self) -> None:
        self.refresh()
