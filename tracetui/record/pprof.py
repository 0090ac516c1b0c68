"""A running service: fetch `/debug/pprof/trace?seconds=D` from its net/http/pprof."""

from __future__ import annotations

import http.client
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from tracetui.errors import TracetuiError, UsageError
from tracetui.record.options import RecordOptions
from tracetui.record.output import check_writable, default_output, note, sidecar
from tracetui.record.session import Session
from tracetui.sanitize import safe_text

DEFAULT_SECONDS = 5
SLACK = 30.0  # s to wait beyond the window for the answer to start and end
CHUNK = 1 << 16


def trace_url(url: str, seconds: int) -> str:
    """The endpoint for a base URL (`http://host:6060`), the pprof index
    (`.../debug/pprof/`) or the trace endpoint itself, with `seconds` set."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--pprof {url}: give an http:// or https:// URL (say http://127.0.0.1:6060)")
    path = parts.path.rstrip("/")
    if not path.endswith("/debug/pprof/trace"):
        path = (path if path.endswith("/debug/pprof") else path + "/debug/pprof") + "/trace"
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "seconds"] + [("seconds", str(seconds))]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, urllib.parse.urlencode(query), ""))


def fetch(url: str, dest: str, timeout: float, max_size: int | None) -> tuple[int, bool]:
    """Stream url to dest; (bytes written, whether --max-size cut it). HTTP and network
    failures raise a one-line TracetuiError."""
    shown = safe_text(url, keep_newlines=False)
    req = urllib.request.Request(url, headers={"User-Agent": "tracetui-record"})
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        body = e.read(2000).decode("utf-8", "replace").strip().splitlines()
        why = f": {body[0]}" if body else ""
        raise TracetuiError(f"{shown}: HTTP {e.code} {e.reason}{safe_text(why, keep_newlines=False)}") from None
    except urllib.error.URLError as e:
        reason = e.reason.strerror if isinstance(e.reason, OSError) and e.reason.strerror else e.reason
        raise TracetuiError(f"{shown}: cannot connect: {safe_text(str(reason), keep_newlines=False)}") from None
    except (OSError, http.client.HTTPException) as e:
        raise TracetuiError(f"{shown}: {type(e).__name__}: {safe_text(str(e), keep_newlines=False)}") from None
    n = 0
    cut = False
    try:
        with resp, open(dest, "wb") as f:
            first = resp.read(16)
            if not first.startswith(b"go 1."):
                kind = resp.headers.get("Content-Type", "unknown content")
                raise TracetuiError(f"{shown}: the answer is not a Go execution trace ({safe_text(kind)})")
            f.write(first)
            n = len(first)
            while chunk := resp.read(CHUNK):
                f.write(chunk)
                n += len(chunk)
                if max_size is not None and n >= max_size:
                    cut = True
                    break
    except TimeoutError:
        raise TracetuiError(f"{shown}: no answer within {timeout:g}s") from None
    except (OSError, http.client.HTTPException) as e:
        if isinstance(e, OSError) and e.filename:
            raise TracetuiError(f"cannot write: {e.strerror or e}", path=dest) from None
        note(f"{shown}: the connection broke after {n:,} bytes ({type(e).__name__})")
    return n, cut


def record_pprof(opts: RecordOptions, url: str, session: Session) -> int:
    """Fetch one trace window from a service; returns 0 (errors raise)."""
    seconds = max(1, math.ceil(opts.duration)) if opts.duration else DEFAULT_SECONDS
    if opts.duration and opts.duration != seconds:
        note(f"net/http/pprof takes whole seconds: recording {seconds}s")
    endpoint = trace_url(url, seconds)
    host = urllib.parse.urlsplit(url).hostname or "service"
    out = opts.output or default_output(f"{host}-pprof")
    check_writable(out)
    gotrace = sidecar(out, ".gotrace")
    if not opts.duration:
        note(f"recording {seconds}s (--duration sets the window)")
    t0 = time.monotonic()
    try:
        _, cut = fetch(endpoint, gotrace, seconds + SLACK, opts.max_size)
    except TracetuiError:
        if os.path.exists(gotrace) and os.path.getsize(gotrace) == 0:
            os.unlink(gotrace)
        raise
    except KeyboardInterrupt:
        note("interrupted: keeping what arrived")
        cut = True
    if cut and opts.max_size is not None:
        note(f"the trace reached --max-size ({opts.max_size / 1e6:.1f} MB): the rest was not read")
    elapsed = time.monotonic() - t0
    if elapsed < seconds * 0.5:
        note(f"the service answered after {elapsed:.1f}s, not {seconds}s")
    session.finish(None, [(out, gotrace)])
    return 0
