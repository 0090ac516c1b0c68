"""How each span state looks: a glyph (so NO_COLOR still reads) and a colour per colour system."""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style

from tracetui.model.trace import State

# (glyph, truecolor, 256-colour, 16-colour) per state.
_LOOK: dict[int, tuple[str, str, str, str]] = {
    State.RUNNING: ("█", "#2e8b57", "color(29)", "green"),
    State.RUNNABLE: ("▒", "#d4a017", "color(178)", "yellow"),
    State.WAITING: ("░", "#4f6d8f", "color(61)", "blue"),
    State.SYSCALL: ("▓", "#8e44ad", "color(97)", "magenta"),
    State.IDLE: (" ", "#303030", "color(236)", "black"),
    State.GC: ("█", "#c0392b", "color(160)", "red"),
    State.STW: ("█", "#e74c3c", "color(196)", "bright_red"),
    State.SWEEP: ("▚", "#d35400", "color(166)", "red"),
    State.MARK_ASSIST: ("▞", "#e67e22", "color(208)", "bright_red"),
    State.TASK: ("━", "#16a085", "color(36)", "cyan"),
    State.REGION: ("─", "#1abc9c", "color(43)", "bright_cyan"),
}
BUSY_GLYPH = "┃"


@dataclass(frozen=True)
class Palette:
    """Styles for one colour system ("truecolor", "256", "16" or "none")."""

    system: str

    def look(self, state: int) -> tuple[str, Style]:
        glyph, tc, c256, c16 = _LOOK.get(state, ("?", "#ffffff", "color(15)", "white"))
        if self.system == "none":
            return glyph, Style()
        colour = {"truecolor": tc, "256": c256}.get(self.system, c16)
        return glyph, Style(color=colour)

    def busy(self) -> Style:
        return Style() if self.system == "none" else Style(color="white", dim=True)
