"""A recording that runs beside the live view: `tracetui record --no-view` in a process of
its own (its signal handling, its child, its files), with the program's output going to a
log file so that it does not write over the screen.

The viewer tails the Go trace the recorder writes; stopping sends the recorder SIGINT,
which (as for `record` itself) checkpoints and stops the trace, interrupts the program and
writes the `.gotrace` and `.pftrace` in full.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from tracetui.record.output import default_output, sidecar


def live_output(command: Sequence[str], output: str | None) -> str:
    """The Perfetto file of a live recording: -o, or one named after the program."""
    if output:
        return output
    args = [a for a in command[2:] if not a.startswith("-")] if command[:1] == ["go"] else list(command)
    name = args[0] if args else (command[0] if command else "record")
    if name in (".", "./"):
        name = os.path.basename(os.getcwd())
    return default_output(name)


class LiveRecording:
    """`tracetui record --no-view ARGS` run in the background, output to `log_path`."""

    def __init__(self, record_args: Sequence[str], pftrace: str, cwd: str | None = None) -> None:
        self.pftrace = pftrace
        self.gotrace = sidecar(pftrace, ".gotrace")
        self.log_path = sidecar(pftrace, ".live.log")
        self.stopped_by_user = False
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tracetui", "record", "--no-view", "-o", pftrace, *record_args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                start_new_session=True,  # the terminal's Ctrl+C goes to the viewer, not to it
            )

    def finished(self) -> bool:
        """Whether the recorder is done (the program ended, or was stopped): the files are whole."""
        return self.proc.poll() is not None

    def stop(self) -> None:
        """Ask the recorder to stop (SIGINT: the trace is flushed, the program interrupted)."""
        if self.proc.poll() is None:
            self.stopped_by_user = True
            self.proc.send_signal(signal.SIGINT)

    def wait(self, timeout: float | None = None) -> int:
        """The recorder's exit status (the program's)."""
        return self.proc.wait(timeout)

    def exit_status(self) -> int:
        """What tracetui exits with: 0 if the user stopped it, else the program's status."""
        status = self.proc.wait()
        return 0 if self.stopped_by_user else status

    def why_no_trace(self) -> str:
        """Why the recording wrote no trace: the recorder's last one-line error, else a guess."""
        errors = [ln.removeprefix("tracetui: ") for ln in self.last_lines(20) if ln.startswith("tracetui: ")]
        if errors:
            return f"no trace: {errors[-1]}"
        return f"no trace: the program ended before it was traced (its output is in {self.log_path})"

    def last_lines(self, n: int = 5) -> list[str]:
        """The end of the recorder's log (its one-line messages, the program's output)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(max(0, os.path.getsize(self.log_path) - 8192))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return []
        return text.splitlines()[-n:]
