"""User-facing errors: each renders as one line naming the file and what is wrong."""

from __future__ import annotations


class TracetuiError(Exception):
    """An error a user can cause; the CLI prints it as one line and exits with status 2."""

    exit_status = 2

    def __init__(self, message: str, *, path: str | None = None, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.offset = offset

    def one_line(self) -> str:
        """`tracetui: FILE: what is wrong (at byte N)`, without newlines."""
        text = self.message
        if self.offset is not None:
            text = f"{text} (at byte {self.offset})"
        if self.path is not None:
            text = f"{self.path}: {text}"
        return "tracetui: " + " ".join(text.split("\n")[0:1]).strip()


class TraceFormatError(TracetuiError):
    """The bytes are not a valid trace: wrong format, corrupted or truncated."""


class UnsupportedTraceError(TracetuiError):
    """A trace of a version we cannot read (yet)."""


class UsageError(TracetuiError):
    """Bad flags or arguments."""
