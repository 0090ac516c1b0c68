"""`go tool trace -http` on 127.0.0.1, and its goroutine pages read back as numbers."""

from __future__ import annotations

import contextlib
import html
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path

_UNITS = {"h": 3600 * 10**9, "m": 60 * 10**9, "s": 10**9, "ms": 10**6, "µs": 10**3, "us": 10**3, "ns": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)")


def go_duration(text: str) -> int:
    """Nanoseconds of a Go time.Duration's String() ("1.5ms", "2m3.25s", "0s")."""
    t = text.strip()
    neg = t.startswith("-")
    t = t.lstrip("-")
    if t == "0s":
        return 0
    pos, ns = 0, Decimal(0)
    for m in _PART.finditer(t):
        assert m.start() == pos, f"not a Go duration: {text!r}"
        ns += Decimal(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    assert pos == len(t) and t, f"not a Go duration: {text!r}"
    return -int(ns) if neg else int(ns)


class GoTraceServer:
    """A running `go tool trace -http=127.0.0.1:PORT FILE` (stop() ends it)."""

    def __init__(self, go: str, env: dict[str, str], path: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [go, "tool", "trace", f"-http=127.0.0.1:{self.port}", str(path)],
            env={**env, "BROWSER": "true"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # `go tool trace` runs the trace tool as its child: stop() ends both
        )  # fmt: skip
        end = time.monotonic() + 120
        while True:
            try:
                self.get("/")
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > end:
                    self.stop()
                    raise RuntimeError("go tool trace -http did not answer") from None
                time.sleep(0.1)

    def get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as r:
            return r.read().decode("utf-8")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def groups(self) -> dict[str, tuple[int, int]]:
        """Start function -> (count, total execution ns) from /goroutines."""
        page = self.get("/goroutines")
        rows = re.findall(
            r'<a href="/goroutine\?name=[^"]*">([^<]*)</a></code></td>\s*<td>(\d+)</td>\s*<td>([^<]*)</td>', page
        )
        out = {}
        for name, n, ex in rows:
            name = html.unescape(name)
            out["" if name == "(Inactive, no stack trace sampled)" else name] = (int(n), go_duration(ex))
        return out

    def group(self, name: str) -> dict[int, dict[str, int]]:
        """Goroutine id -> {"Total": ns, stat name: ns, ...} from /goroutine?name=NAME (the
        breakdown table, then the special ranges)."""
        page = self.get("/goroutine?" + urllib.parse.urlencode({"name": name}))
        tables = page.split('<table class="details">')[1:]
        out: dict[int, dict[str, int]] = {}
        for table in tables:
            heads = [html.unescape(h).strip() for h in re.findall(r"<th[^>]*>([^<]*)</th>", table)]
            for tr in re.findall(
                r"<tr>\s*<td> <a href=\"/trace\?goid=(\d+)\">\d+</a> </td>(.*?)</tr>", table, re.DOTALL
            ):
                gid, rest = int(tr[0]), tr[1]
                cells = [
                    c.strip()
                    for c in re.findall(r"<td>([^<]*?)</td>", re.sub(r"<div.*?</div>", "", rest, flags=re.DOTALL))
                ]
                cells = [c for c in cells if c]
                names = [h for h in heads[1:] if h]
                row = out.setdefault(gid, {})
                for h, c in zip(names, cells):
                    row[h] = go_duration(c)
        return out
