"""`tracetui record --pprof URL --duration D`: a window of a running service's trace, and
HTTP failures as one line."""

from __future__ import annotations

import http.server
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.record.conftest import Recorder
from tracetui.perfetto.reader import read_model
from tracetui.record.pprof import trace_url

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(workload_bin: Path) -> Iterator[str]:
    """The workload serving net/http/pprof on 127.0.0.1; its base URL."""
    p = subprocess.Popen([workload_bin, "serve"], stdout=subprocess.PIPE)
    assert p.stdout is not None
    port = int(p.stdout.readline().split()[1])
    yield f"http://127.0.0.1:{port}"
    p.kill()
    p.wait()


def test_window(recorder: Recorder, gotool, service: str, tmp_path: Path) -> None:
    p = recorder.run("--pprof", service, "--duration", "1s", "-o", "s.pftrace", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    parsed = gotool.parsed(tmp_path / "s.gotrace")
    assert parsed.returncode == 0 and b"Sync" in parsed.stdout
    model = read_model(str(tmp_path / "s.pftrace"))
    assert 0.9e9 < model.duration < 3e9  # the one-second window


def test_tracer_already_enabled(recorder: Recorder, service: str, tmp_path: Path) -> None:
    other = threading.Thread(target=lambda: urllib.request.urlopen(f"{service}/debug/pprof/trace?seconds=3").read())
    other.start()
    time.sleep(0.5)  # the other window has started
    try:
        p = recorder.run("--pprof", service + "/debug/pprof/", "--duration", "1", cwd=tmp_path)
    finally:
        other.join()
    assert p.returncode == 2
    assert p.stderr == (f"tracetui: {service}/debug/pprof/trace?seconds=1: HTTP 500 Internal Server Error: "
                        "Could not enable tracing: execution tracer already enabled\n").encode()  # fmt: skip
    assert not list(tmp_path.iterdir())


def test_connection_refused(recorder: Recorder, tmp_path: Path) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = recorder.run("--pprof", f"http://127.0.0.1:{port}", "--duration", "1", cwd=tmp_path)
    assert p.returncode == 2
    assert (
        p.stderr
        == f"tracetui: http://127.0.0.1:{port}/debug/pprof/trace?seconds=1: cannot connect: Connection refused\n".encode()
    )


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/missing"):
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"<html>\x1b[31mnot a trace</html>")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def not_pprof() -> Iterator[str]:
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_not_a_trace_and_404(recorder: Recorder, not_pprof: str, tmp_path: Path) -> None:
    p = recorder.run("--pprof", not_pprof, "--duration", "1", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.endswith(b": the answer is not a Go execution trace (text/html; charset=utf-8)\n")
    p = recorder.run("--pprof", not_pprof + "/missing", "--duration", "1", cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.startswith(f"tracetui: {not_pprof}/missing/debug/pprof/trace?seconds=1: HTTP 404".encode())
    assert p.stderr.count(b"\n") == 1


@pytest.mark.parametrize("args, message", [
    (["--pprof", "ftp://host/"], b"tracetui: --pprof ftp://host/: give an http:// or https:// URL"),
    (["--pprof", "http://127.0.0.1:1", "--", "true"], b"tracetui: --pprof records a running service"),
])  # fmt: skip
def test_usage(recorder: Recorder, tmp_path: Path, args: list[str], message: bytes) -> None:
    p = recorder.run(*args, cwd=tmp_path)
    assert p.returncode == 2 and p.stderr.startswith(message), p.stderr


def test_trace_url() -> None:
    assert trace_url("http://h:1", 3) == "http://h:1/debug/pprof/trace?seconds=3"
    assert trace_url("http://h:1/debug/pprof/", 3) == "http://h:1/debug/pprof/trace?seconds=3"
    assert trace_url("https://h/x/debug/pprof/trace?seconds=9&a=b", 2) == "https://h/x/debug/pprof/trace?a=b&seconds=2"
