"""Going to a place on the timeline: the go-to prompt's answer, a result row's target, a
search match's log. Each says what to tell the user when the place is not there."""

from __future__ import annotations

from tracetui.model.trace import TrackKind
from tracetui.sanitize import safe_text
from tracetui.tui.navigate import parse_target
from tracetui.tui.screens.results import Target
from tracetui.tui.timefmt import format_duration
from tracetui.tui.widgets.timeline import Timeline

NO_LABELS = "this trace has no goroutine labels (Go records only its GC workers' labels; pprof labels are not in execution traces)"


def go_to_answer(tl: Timeline, text: str) -> str | None:
    """The go-to prompt's answer (a time, or a goroutine, P, M or host row); None once there,
    else the note."""
    target = parse_target(text)
    if target is None:
        return f"not a time or a goroutine: {safe_text(text, keep_newlines=False)!r}"
    if target.time is not None:
        if 0 <= target.time < tl.total:
            tl.remember()
            tl.centre_on(target.time)
            return None
        return f"{format_duration(target.time)} is outside the trace ({format_duration(tl.total)})"
    assert target.kind is not None and target.ident is not None  # (parse_target: a time or a row)
    if tl.go_to_track(target.kind, target.ident):
        return None
    return f"no such row: {safe_text(text, keep_newlines=False)}"


def go_to_target(tl: Timeline, tgt: Target) -> str | None:
    """A result row's place: a span, a goroutine's row at a time, or a time; a note if it is
    not all there (None if it is)."""
    t = tgt.t if tgt.t is not None and 0 <= tgt.t < tl.total else None
    if tgt.span is not None:
        tl.show_span(*tgt.span)
    elif tgt.gid is not None and tl.go_to_track(TrackKind.GOROUTINE, tgt.gid, t):
        pass
    elif t is not None:
        tl.remember()
        tl.centre_on(t)
        if tgt.gid is not None:
            return f"no row for G{tgt.gid}: the cursor is at its time"
    else:
        return "the row's goroutine and time are not in this trace"
    return None


def go_to_log(tl: Timeline, i: int) -> None:
    """The cursor on log i: its goroutine's row (else its category's) at its time."""
    lg = tl.rows.logs
    t = int(lg.ts[i])
    gid = lg.goroutine(i)
    if gid >= 0 and tl.go_to_track(TrackKind.GOROUTINE, gid, t):
        return
    idx = tl.rows.index_of(("logs", lg.categories[int(lg.cat[i])]))
    tl.remember()
    if idx >= 0:
        tl.set_row(idx)
    tl.centre_on(t)


def no_match_note(tl: Timeline, text: str) -> str:
    """What a search that found nothing says."""
    what = "goroutine or log" if len(tl.trace.logs) else "goroutine"
    if text.strip().startswith("label:") and not len(tl.trace.labels):
        return NO_LABELS
    return f"no {what} matches {safe_text(text, keep_newlines=False)!r}"
