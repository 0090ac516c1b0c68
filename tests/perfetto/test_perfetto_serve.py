"""`tracetui export --serve`: the file goes to a request from the ui.perfetto.dev origin on
127.0.0.1:9001 (what an `ssh -L 9001:127.0.0.1:9001` tunnel delivers), then it stops."""

from __future__ import annotations

import io
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.conftest import TRACES
from tracetui.cli import main
from tracetui.errors import TracetuiError
from tracetui.perfetto.serve import HOST, PORT, UI_ORIGIN, serve

URL = f"http://{HOST}:{PORT}"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


class _Served:
    def __init__(self, path: Path) -> None:
        self.out = io.StringIO()
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.result: list[bool] = []
        self.thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    def _run(self, path: Path) -> None:
        self.result.append(serve(str(path), out=self.out, ready=self.ready.set, stop=self.stop))


def _get(path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(URL + path, method=method, headers={"Origin": UI_ORIGIN})
    try:
        with _DIRECT.open(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), b""


def test_serves_the_file_once_to_the_ui_origin(tmp_path: Path) -> None:
    f = tmp_path / "gc stw.pftrace"  # a name the link cannot carry as is
    assert main(["export", str(TRACES / "go1.27.3" / "gcstw.trace"), "-o", str(f)]) == 0
    s = _Served(f)
    try:
        out = s.out.getvalue()
        assert f"ssh -L {PORT}:127.0.0.1:{PORT} " in out
        assert f"https://ui.perfetto.dev/#!/?url=http://127.0.0.1:{PORT}/trace.pftrace" in out
        listening = [c for c in psutil.net_connections("tcp") if c.status == "LISTEN" and c.laddr.port == PORT]
        assert [c.laddr.ip for c in listening] == ["127.0.0.1"]
        code, headers, _ = _get("/trace.pftrace", "OPTIONS")
        assert code == 204 and headers["Access-Control-Allow-Origin"] == UI_ORIGIN
        assert _get("/status", "POST")[0] == 404
        assert _get("/other.pftrace")[0] == 404
        assert s.thread.is_alive()  # nothing fetched yet
        code, headers, body = _get("/trace.pftrace")
        assert code == 200 and headers["Access-Control-Allow-Origin"] == UI_ORIGIN
        assert body == f.read_bytes()
        s.thread.join(10)
        assert not s.thread.is_alive() and s.result == [True]
        assert "fetched" in s.out.getvalue()
    finally:
        s.stop.set()
        s.thread.join(10)


def test_busy_port_is_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "t.pftrace"
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind((HOST, PORT))
        blocker.listen(1)
        with pytest.raises(TracetuiError, match="busy"):
            serve(str(TRACES / "go1.27.3" / "gcstw.trace"))
        assert main(["export", str(TRACES / "go1.27.3" / "gcstw.trace"), "-o", str(f), "--serve"]) == 2
    err = capfd.readouterr().err.splitlines()
    assert err[-1].startswith("tracetui: ") and "127.0.0.1:9001 is busy" in err[-1]
    assert f.exists()  # the export itself was written


def test_stop_without_fetch(tmp_path: Path) -> None:
    f = tmp_path / "t.pftrace"
    f.write_bytes(b"\x0a\x00")
    s = _Served(f)
    s.stop.set()
    s.thread.join(10)
    assert s.result == [False]
