"""Independent loader for Go's execution-trace parser test suite.

Go keeps its trace parser tests in ``$GOROOT/src/internal/trace/testdata/tests/*.test``.
Each is a txtar archive holding an ``expect`` file (``SUCCESS`` or
``FAILURE "<quoted Go regexp>"``) and a ``trace`` file written in the text form
of the wire format (``internal/trace/raw``).  This module ports, deliberately
independently of the product code, the pieces of Go needed to turn such a case
into the exact bytes Go's tests feed to the parser:

* ``internal/txtar`` parsing,
* ``raw.TextReader`` (text form -> events), including its tokenizer quirks,
* ``raw.Writer`` (events -> wire bytes, minimal LEB128 varints),
* the event spec table of ``tracev2/events.go`` per ``version/version.go``.

Go's runtime pads the batch-length varint of every (Experimental)EventBatch to
10 bytes; ``raw.Writer`` does not.  ``text_to_wire(..., pad_batch_size=True)``
reproduces the runtime's padding so that real runtime traces round-trip
byte-for-byte through ``go tool trace -d=wire``.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SPECS",
    "EventSpec",
    "GoTestCase",
    "TraceTextError",
    "find_goroot",
    "go_regex_to_python",
    "go_test_cases",
    "load_case",
    "parse_txtar",
    "text_to_wire",
]


@dataclass(frozen=True)
class EventSpec:
    """Wire-level shape of one event type (subset of Go's ``tracev2.EventSpec``)."""

    code: int
    name: str
    args: tuple[str, ...]
    is_stack: bool = False  # args followed by args[1] frames of (pc, func, file, line)
    has_data: bool = False  # args followed by a varint length and raw bytes


# (code, name, args) transcribed from tracev2/events.go; IsStack/HasData below.
_EVENTS: tuple[tuple[int, str, str], ...] = (
    (1, "EventBatch", "gen m time size"),
    (2, "Stacks", ""),
    (3, "Stack", "id nframes"),
    (4, "Strings", ""),
    (5, "String", "id"),
    (6, "CPUSamples", ""),
    (7, "CPUSample", "time m p g stack"),
    (8, "Frequency", "freq"),
    (9, "ProcsChange", "dt procs_value stack"),
    (10, "ProcStart", "dt p p_seq"),
    (11, "ProcStop", "dt"),
    (12, "ProcSteal", "dt p p_seq m"),
    (13, "ProcStatus", "dt p pstatus"),
    (14, "GoCreate", "dt new_g new_stack stack"),
    (15, "GoCreateSyscall", "dt new_g"),
    (16, "GoStart", "dt g g_seq"),
    (17, "GoDestroy", "dt"),
    (18, "GoDestroySyscall", "dt"),
    (19, "GoStop", "dt reason_string stack"),
    (20, "GoBlock", "dt reason_string stack"),
    (21, "GoUnblock", "dt g g_seq stack"),
    (22, "GoSyscallBegin", "dt p_seq stack"),
    (23, "GoSyscallEnd", "dt"),
    (24, "GoSyscallEndBlocked", "dt"),
    (25, "GoStatus", "dt g m gstatus"),
    (26, "STWBegin", "dt kind_string stack"),
    (27, "STWEnd", "dt"),
    (28, "GCActive", "dt gc_seq"),
    (29, "GCBegin", "dt gc_seq stack"),
    (30, "GCEnd", "dt gc_seq"),
    (31, "GCSweepActive", "dt p"),
    (32, "GCSweepBegin", "dt stack"),
    (33, "GCSweepEnd", "dt swept_value reclaimed_value"),
    (34, "GCMarkAssistActive", "dt g"),
    (35, "GCMarkAssistBegin", "dt stack"),
    (36, "GCMarkAssistEnd", "dt"),
    (37, "HeapAlloc", "dt heapalloc_value"),
    (38, "HeapGoal", "dt heapgoal_value"),
    (39, "GoLabel", "dt label_string"),
    (40, "UserTaskBegin", "dt task parent_task name_string stack"),
    (41, "UserTaskEnd", "dt task stack"),
    (42, "UserRegionBegin", "dt task name_string stack"),
    (43, "UserRegionEnd", "dt task name_string stack"),
    (44, "UserLog", "dt task key_string value_string stack"),  # last Go 1.22 event
    (45, "GoSwitch", "dt g g_seq"),
    (46, "GoSwitchDestroy", "dt g g_seq"),
    (47, "GoCreateBlocked", "dt new_g new_stack stack"),
    (48, "GoStatusStack", "dt g m gstatus stack"),
    (49, "ExperimentalBatch", "exp gen m time"),  # last Go 1.23 event
    (50, "Sync", ""),
    (51, "ClockSnapshot", "dt mono sec nsec"),  # last Go 1.25 event
    (52, "EndOfGeneration", ""),
    # Experimental (AllocFree) events, MaxEvent=127 + iota; only in Go 1.26's full table.
    (128, "Span", "dt id npages_value kindclass"),
    (129, "SpanAlloc", "dt id npages_value kindclass"),
    (130, "SpanFree", "dt id"),
    (131, "HeapObject", "dt id type"),
    (132, "HeapObjectAlloc", "dt id type"),
    (133, "HeapObjectFree", "dt id"),
    (134, "GoroutineStack", "dt id order"),
    (135, "GoroutineStackAlloc", "dt id order"),
    (136, "GoroutineStackFree", "dt id"),
)
_ALL = {c: EventSpec(c, n, tuple(a.split()), c == 3, c in (5, 49)) for c, n, a in _EVENTS}
# version.go: 1.11-1.21 are valid versions with no v2 specs; newer ones slice the table.
_LAST_CODE = {11: 0, 19: 0, 21: 0, 22: 44, 23: 49, 25: 51, 26: 255}
SPECS: dict[int, dict[int, EventSpec]] = {
    v: {c: s for c, s in _ALL.items() if c <= last} for v, last in _LAST_CODE.items()
}
_FRAME_FIELDS = ("pc", "func", "file", "line")
_GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
)  # unicode.IsSpace
_MAX_LINE = 64 * 1024  # bufio.MaxScanTokenSize (line plus its '\n' must fit)


class TraceTextError(ValueError):
    """The text trace (or test case) is malformed; Go's message where there is one."""


@dataclass
class GoTestCase:
    """One ``.test`` case: expectation plus the wire bytes Go's test feeds the parser."""

    name: str
    expect_success: bool
    error_pattern: str | None  # Go regexp syntax; see go_regex_to_python
    version: int
    wire: bytes

    def error_matches(self, message: str) -> bool:
        """Report whether ``message`` satisfies the FAILURE pattern (Go MatchString)."""
        return self.error_pattern is not None and re.search(go_regex_to_python(self.error_pattern), message) is not None


def _txtar_files(text: str) -> list[tuple[str, str]]:
    """Port of txtar.Parse: the (name, data) file entries in order, comment dropped."""
    files: list[tuple[str, str]] = []
    name, pos = None, 0
    while True:
        i = pos
        while True:
            nxt = _txtar_marker(text, i)
            if nxt is not None or (j := text.find("\n-- ", i)) < 0:
                break
            i = j + 1
        data = text[pos:i] if nxt else text[pos:]
        if name is not None:
            files.append((name, data if nxt or not data or data.endswith("\n") else data + "\n"))
        if nxt is None:
            return files
        name, pos = nxt


def _txtar_marker(text: str, i: int) -> tuple[str, int] | None:
    """Return (name, offset after line) if a ``-- name --`` marker line starts at i."""
    if not text.startswith("-- ", i):
        return None
    end = text.find("\n", i)
    line, after = (text[i:], len(text)) if end < 0 else (text[i:end], end + 1)
    if not line.endswith(" --") or len(line) < 6:
        return None
    name = line[3:-3].strip("".join(_GO_SPACE))
    return (name, after) if name else None


def parse_txtar(text: str) -> dict[str, str]:
    """Parse a txtar archive into ``{file name: content}`` (Go's txtar rules)."""
    return dict(_txtar_files(text))


def _lines(text: str) -> Iterator[str]:
    """Split like bufio.Scanner with ScanLines (which also drops one trailing '\\r').

    Go fails with ErrTooLong if a line plus its '\\n' exceeds 64 KiB.
    """
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    for ln in lines:
        if len(ln.encode("utf-8", "surrogateescape")) >= _MAX_LINE:
            raise TraceTextError("bufio.Scanner: token too long")
        yield ln.removesuffix("\r")


def _read_token(s: str) -> tuple[str, str]:
    """Port of raw.readToken: next whitespace-separated token; '#' starts a comment."""
    start = next((i for i, ch in enumerate(s) if ch == "#" or ch not in _GO_SPACE), len(s))
    if start == len(s) or s[start] == "#":
        return "", ""
    end = next((j for j in range(start, len(s)) if s[j] in _GO_SPACE or s[j] == "#"), len(s))
    return s[start:end], s[end:]


def _read_args(s: str, names: tuple[str, ...]) -> list[int]:
    """Port of raw.readArgs: ``name=value`` for each expected name, nothing after."""
    args: list[int] = []
    for name in names:
        tok, rest = _read_token(s)
        if not tok:
            raise TraceTextError("no argument")
        arg, eq, val = tok.partition("=")
        if not eq:
            raise TraceTextError(f"malformed argument: {tok!r}")
        if not re.fullmatch(r"[0-9]+", val) or int(val) >= 1 << 64:
            raise TraceTextError(f"failed to parse argument value {val!r} for arg {arg!r}")
        if arg != name:
            raise TraceTextError(f"expected argument {name!r}, but got {arg!r}")
        args.append(int(val))
        s = rest
    if any(ch not in _GO_SPACE for ch in s):
        raise TraceTextError(f"encountered unexpected non-space at the end of an event: {s!r}")
    return args


_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}


def _go_unquote(s: str) -> bytes:
    """Port of strconv.Unquote, returning bytes (``\\x``/octal escapes may be non-UTF-8).

    Lone surrogates stand for invalid UTF-8 input bytes (``surrogateescape``).
    """
    bad = TraceTextError(f"invalid syntax: {s!r}")
    if len(s) < 2:
        raise bad
    q = s[0]
    if q == "`":
        if s.find("`", 1) != len(s) - 1:
            raise bad
        return s[1:-1].replace("\r", "").encode("utf-8", "surrogateescape")
    if q not in "\"'":
        raise bad
    out, i = bytearray(), 1
    while i < len(s) and s[i] != q:
        c = s[i]
        if c == "\n":
            raise bad
        if c != "\\":
            out += "\ufffd".encode() if "\udc80" <= c <= "\udcff" else c.encode()
            i += 1
        elif i + 1 >= len(s):
            raise bad
        elif (e := s[i + 1]) in _ESCAPES or e == q:
            out.append(_ESCAPES.get(e, ord(q)))
            i += 2
        elif e in "xuU":
            n = {"x": 2, "u": 4, "U": 8}[e]
            digits = s[i + 2 : i + 2 + n]
            if len(digits) < n or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise bad
            v = int(digits, 16)
            if e == "x":
                out.append(v)
            elif v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
                raise bad
            else:
                out += chr(v).encode()
            i += 2 + n
        elif e in "01234567" and re.fullmatch(r"[0-7]{3}", s[i + 1 : i + 4]) and int(s[i + 1 : i + 4], 8) < 256:
            out.append(int(s[i + 1 : i + 4], 8))
            i += 4
        else:
            raise bad
        if q == "'":
            break
    if i != len(s) - 1 or s[i] != q:
        raise bad
    return bytes(out)


def _uvarint(v: int, padded: bool = False) -> bytes:
    """LEB128 as binary.AppendUvarint, or padded to 10 bytes like runtime varintAt."""
    out = bytearray()
    while v >= 0x80 or (padded and len(out) < 9):
        out.append(0x80 | (v & 0x7F))
        v >>= 7
    out.append(v)
    return bytes(out)


def text_to_wire(text: str, *, pad_batch_size: bool = False) -> tuple[int, bytes]:
    """Convert a text-form trace to wire bytes exactly as raw.TextReader + raw.Writer do.

    Returns ``(minor version, bytes)``.  With ``pad_batch_size`` the batch length
    (EventBatch ``size``, ExperimentalBatch data length) is written as a 10-byte
    varint like the runtime does.  Raises TraceTextError on malformed input.
    """
    lines = _lines(text)

    def next_line() -> str | None:
        for line in lines:
            if _read_token(line)[0]:
                return line
        return None

    header = next_line()
    if header is None:
        raise TraceTextError("EOF")
    word, rest = _read_token(header)
    gover, rest = _read_token(rest)
    if word != "Trace":
        raise TraceTextError("failed to parse header")
    if not gover.startswith("Go1."):
        raise TraceTextError("failed to parse header Go version")
    if not re.fullmatch(r"[0-9]+", gover[4:]) or int(gover[4:]) >= 1 << 64:
        raise TraceTextError(f"failed to parse header Go version: {gover[4:]!r}")
    version = int(gover[4:]) & 0xFFFFFFFF  # Go converts to version.Version (uint32)
    if version not in SPECS:
        raise TraceTextError(f"unknown or unsupported Go version 1.{version}")
    if any(ch not in _GO_SPACE for ch in rest):
        raise TraceTextError(f"encountered unexpected non-space at the end of the header: {rest!r}")
    by_name = {s.name: s for s in SPECS[version].values()}
    out = bytearray(b"go 1.%d trace\x00\x00\x00" % version)
    while (line := next_line()) is not None:
        name, rest = _read_token(line)
        if (spec := by_name.get(name)) is None:
            raise TraceTextError(f"unidentified event: {name}")
        try:
            args = _read_args(rest, spec.args)
        except TraceTextError as e:
            raise TraceTextError(f"reading args for {name}: {e}") from None
        if spec.is_stack and args[1] < 1 << 63:  # Go: int(args[1]) frames
            for _ in range(args[1]):
                if (frame := next_line()) is None:
                    raise TraceTextError(f"unexpected EOF while reading stack: args={args}")
                args += _read_args(frame, _FRAME_FIELDS)
        out.append(spec.code)
        for i, arg in enumerate(args):
            out += _uvarint(arg, pad_batch_size and spec.code == 1 and i == 3)
        if spec.has_data:
            if (dline := next_line()) is None:
                raise TraceTextError(f"unexpected EOF while reading data for {name}: args={args}")
            key, eq, val = dline.partition("=")
            if not eq or key.strip("".join(_GO_SPACE)) != "data":
                raise TraceTextError(f"malformed data: {dline!r}")
            data = _go_unquote(val.strip("".join(_GO_SPACE)))
            out += _uvarint(len(data), pad_batch_size and spec.code == 49) + data
    return version, bytes(out)


def load_case(path: Path) -> GoTestCase:
    """Load one ``.test`` file as testtrace.ParseFile + ParseExpectation do."""
    files = _txtar_files(Path(path).read_bytes().decode("utf-8", "surrogateescape"))
    if [n for n, _ in files] != ["expect", "trace"]:
        raise TraceTextError(f"malformed test {path}: want files expect, trace")
    version, wire = text_to_wire(files[1][1])
    pattern = None
    if (head := next(_lines(files[0][1]), None)) is not None:  # empty expect: SUCCESS
        first = head.split(" ", 1)
        if first[0] == "FAILURE":
            if len(first) != 2:
                raise TraceTextError(f"bad header line for FAILURE in {path}")
            pattern = _go_unquote(first[1]).decode("utf-8", "surrogateescape")
            re.compile(go_regex_to_python(pattern))
        elif first[0] != "SUCCESS":
            raise TraceTextError(f"bad header line in {path}: {head!r}")
    return GoTestCase(Path(path).stem, pattern is None, pattern, version, wire)


def go_test_cases(goroot: Path) -> list[GoTestCase]:
    """Load every ``src/internal/trace/testdata/tests/*.test`` case, sorted by name."""
    tests = Path(goroot) / "src" / "internal" / "trace" / "testdata" / "tests"
    return [load_case(p) for p in sorted(tests.glob("*.test"))]


def find_goroot() -> Path | None:
    """Return ``go env GOROOT`` (local toolchain only), or None if Go is unavailable."""
    env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off")
    try:
        res = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, env=env, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    root = Path(res.stdout.strip())
    return root if res.stdout.strip() and root.is_dir() else None


_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


def go_regex_to_python(pattern: str) -> str:
    """Translate a Go (RE2) regexp into an equivalent Python ``re`` pattern.

    Use with ``re.search`` to mirror Go's unanchored ``MatchString``.  Handles the
    common differences: ``\\z``, ``$`` (end of text unless ``(?m)``), ``\\Q..\\E``,
    ``\\x{..}``, ``(?<name>``, POSIX classes, ASCII-only ``\\d\\w\\s\\b``.  Unicode
    classes (``\\p``) and the ``U`` flag are rejected with ValueError.
    """
    out: list[str] = []
    i, in_class, multiline, at_start = 0, False, False, True
    while i < len(pattern):
        c = pattern[i]
        if not pattern.startswith("(?", i):
            at_start = False
        if c == "\\" and i + 1 < len(pattern):
            e = pattern[i + 1]
            if e == "Q":
                end = pattern.find("\\E", i + 2)
                end = len(pattern) if end < 0 else end
                out.append(re.escape(pattern[i + 2 : end]))
                i = end + 2
                continue
            if e == "x" and pattern.startswith("{", i + 2):
                end = pattern.index("}", i)
                out.append(re.escape(chr(int(pattern[i + 3 : end], 16))))
                i = end + 1
                continue
            if e in "pP":
                raise ValueError(f"unsupported Go regexp feature \\{e}: {pattern!r}")
            out.append("\\Z" if e == "z" else c + e)
            i += 2
            continue
        if in_class:
            if c == "[" and (m := re.match(r"\[:(\^?)([a-z]+):\]", pattern[i:])):
                if m.group(1):
                    raise ValueError(f"unsupported negated POSIX class: {pattern!r}")
                out.append(_POSIX[m.group(2)])
                i += m.end()
                continue
            in_class = c != "]"
            out.append("\\[" if c == "[" else c)
        elif c == "[":
            in_class = True
            m = re.match(r"\[\^?\]?", pattern[i:])
            assert m is not None
            out.append(m.group())
            i += m.end()
            continue
        elif c == "$":
            out.append("$" if multiline else "\\Z")
        elif (m := re.match(r"\(\?([imsU]*)(?:-([imsU]*))?([:)])", pattern[i:])) and m.group() != "(?:":
            if "U" in m.group(0):
                raise ValueError(f"unsupported Go regexp flag U: {pattern!r}")
            if m.group(3) == ")":
                if not at_start:
                    raise ValueError(f"Go flags only supported at pattern start: {pattern!r}")
                multiline = multiline or "m" in m.group(1)
            out.append(m.group())
            i += m.end()
            at_start = at_start and m.group(3) == ")"
            continue
        elif pattern.startswith("(?<", i):  # Go has no lookbehind: always a named group
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(c)
        i += 1
    return "(?a)" + "".join(out)
