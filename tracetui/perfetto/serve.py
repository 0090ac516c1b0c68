"""Hand one trace file to ui.perfetto.dev: serve it on 127.0.0.1:9001 (the one plain-http
origin the UI's content security policy allows) with the UI's origin allowed by CORS,
until it has been fetched once, or Ctrl-C. Over SSH the user forwards the port first.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TextIO
from urllib.parse import quote, unquote, urlsplit

from tracetui.errors import TracetuiError
from tracetui.sanitize import safe_text

HOST = "127.0.0.1"
PORT = 9001
UI_ORIGIN = "https://ui.perfetto.dev"


def url_name(path: str) -> str:
    """The file's name in the URL (the UI's deep link must not contain '&' or '#')."""
    name = os.path.basename(path)
    if not name or any(c in name for c in "&#?%/ ") or not name.isprintable():
        name = "trace.pftrace"
    return name


def ui_link(name: str, port: int = PORT) -> str:
    return f"{UI_ORIGIN}/#!/?url=http://{HOST}:{port}/{quote(name)}&referrer=tracetui"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", UI_ORIGIN)
        self.send_header("Vary", "Origin")
        self.send_header("Cache-Control", "no-cache")

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self._cors()
        self.send_header("Access-Control-Allow-Methods", "GET")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.send_header("Access-Control-Allow-Private-Network", "true")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        srv = self.server
        if unquote(urlsplit(self.path).path) != "/" + srv.name:
            self.send_error(404)
            return
        self.send_response(200)
        self._cors()
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(srv.size))
        self.end_headers()
        with open(srv.file, "rb") as f:
            while chunk := f.read(1 << 20):
                self.wfile.write(chunk)
        self.wfile.flush()
        srv.fetched = True

    def do_POST(self) -> None:
        self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(HTTPServer):
    def __init__(self, file: str, name: str, port: int) -> None:
        self.file, self.name, self.size, self.fetched = file, name, os.path.getsize(file), False
        super().__init__((HOST, port), _Handler)


def serve(path: str, *, port: int = PORT, out: TextIO | None = None,
          ready: Callable[[], None] | None = None, stop: threading.Event | None = None) -> bool:  # fmt: skip
    """Serve `path` until it has been fetched (True) or Ctrl-C / `stop` (False). Prints the
    ui.perfetto.dev link and the ssh line to forward the port. A busy port raises a
    one-line TracetuiError."""
    out = out or sys.stdout
    name = url_name(path)
    try:
        srv = _Server(path, name, port)
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise TracetuiError(f"{HOST}:{port} is busy (another server, or a previous --serve still running?); "
                                "free it and retry", path=path) from None  # fmt: skip
        raise TracetuiError(f"cannot listen on {HOST}:{port}: {e.strerror or e}", path=path) from None
    srv.timeout = 0.2
    host = socket.gethostname()
    print(f"Serving {safe_text(path, keep_newlines=False)} on http://{HOST}:{port}/{quote(name)} "
          "until it has been fetched (Ctrl-C stops).", file=out)  # fmt: skip
    print(f"On your laptop, forward the port:  ssh -L {port}:{HOST}:{port} {safe_text(host)}", file=out)
    print(f"then open:  {ui_link(name, port)}", file=out, flush=True)
    try:
        if ready is not None:
            ready()
        while not srv.fetched and not (stop is not None and stop.is_set()):
            srv.handle_request()
    except KeyboardInterrupt:
        print("Stopped.", file=out)
        return False
    finally:
        srv.server_close()
    if srv.fetched:
        print("The trace has been fetched; stopped serving.", file=out)
    return srv.fetched
