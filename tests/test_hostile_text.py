"""Text from a trace reaches a terminal inert: no escape sequences, no Rich markup."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from rich.console import Console

from tracetui import report
from tracetui.cli import main
from tracetui.gotrace.reader import read_trace
from tracetui.sanitize import has_unsafe, safe_text

HOSTILE = "\x1b]0;pwned\x07\x1b[2J[bold red]boom[/bold red]\u202eevil\x9b31m"


def _uv(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _batch(m: int, body: bytes) -> bytes:
    return bytes([1]) + _uv(1) + _uv(m) + _uv(0) + _uv(len(body)) + body


def hostile_trace(path: Path) -> Path:
    """A Go 1.22 trace whose log message, log category and block reason are hostile."""
    ev = bytearray()
    ev += bytes([13]) + _uv(1) + _uv(0) + _uv(1)  # ProcStatus p=0 Running
    ev += bytes([25]) + _uv(1) + _uv(1) + _uv(0) + _uv(2)  # GoStatus g=1 m=0 Running
    ev += bytes([44]) + _uv(1) + _uv(0) + _uv(1) + _uv(2) + _uv(0)  # UserLog key=1 value=2
    ev += bytes([20]) + _uv(1) + _uv(2) + _uv(0)  # GoBlock reason=2
    strings = bytearray([4])
    for sid, s in ((1, "[link=file:///etc/passwd]cat[/link]"), (2, HOSTILE)):
        raw = s.encode("utf-8")
        strings += bytes([5]) + _uv(sid) + _uv(len(raw)) + raw
    no_m = (1 << 64) - 1
    data = b"go 1.22 trace\x00\x00\x00"
    data += _batch(0, bytes(ev))
    data += _batch(no_m, bytes([8]) + _uv(15625000))
    data += _batch(no_m, bytes([2]))
    data += _batch(no_m, bytes(strings))
    path.write_bytes(data)
    return path


def test_the_hostile_trace_is_valid(tmp_path: Path) -> None:
    table = read_trace(hostile_trace(tmp_path / "h.trace"))
    assert table.error is None
    assert HOSTILE in table.strings.strings


def test_safe_text_escapes_controls_and_bidi() -> None:
    out = safe_text(HOSTILE)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\u202e" not in out
    assert "\\x1b]0;pwned" in out
    assert not has_unsafe(out)


def test_dump_to_a_terminal_is_inert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfdbinary) -> None:
    p = hostile_trace(tmp_path / "h.trace")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["dump", str(p)]) == 0
    out = capfdbinary.readouterr().out
    assert b"\x1b" not in out and b"\x07" not in out and "\u202e".encode() not in out
    assert b"\\x1b]0;pwned" in out


def test_dump_to_a_pipe_is_go_exact(tmp_path: Path, capfdbinary) -> None:
    """Piped, the dump keeps Go's bytes (Go quotes log text with %q, so it is escaped too)."""
    p = hostile_trace(tmp_path / "h.trace")
    assert main(["dump", str(p)]) == 0
    out = capfdbinary.readouterr().out
    assert b'Message="\\x1b]0;pwned\\a\\x1b[2J[bold red]boom[/bold red]\\u202eevil\\u009b31m"' in out


def test_summary_markup_in_path_is_not_interpreted(tmp_path: Path) -> None:
    d = tmp_path / "[bold red]x"
    d.mkdir()
    p = hostile_trace(d / "h.trace")
    console = Console(record=True, width=120, file=io.StringIO(), force_terminal=True)
    report.print_summary(str(p), read_trace(p), console=console)
    assert "[bold red]x" in console.export_text()
