"""Errors a new user meets first: a file that is not a trace, a misspelt --fail-on rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TRACES
from tracetui.cli import _check_trace_head, main

GCSTW = TRACES / "go1.27.3" / "gcstw.trace"
_NOT_TRACES = {
    "picture.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64)),
    "random.bin": bytes((i * 97 + 13) % 251 + 1 for i in range(4096)),  # no 0x0a at its head
    "empty.trace": b"",
    "old.trace": b"go 1.19 trace\x00\x00\x00" + bytes(64),
    "notes.txt": b"\n# Notes\n\nA text file that starts with a blank line (0x0A, as a Perfetto trace).\n" * 20,
    "newline.bin": b"\x0a" + bytes((i * 97 + 13) % 251 + 1 for i in range(4096)),
}


def _view(path: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "TERM": "xterm-256color"}
    cmd = [sys.executable, "-m", "tracetui.cli", "view", str(path)]
    return subprocess.run(cmd, check=False, capture_output=True, stdin=subprocess.DEVNULL, env=env, timeout=60)


@pytest.mark.parametrize("name", [*_NOT_TRACES, "a-directory"])
def test_view_of_a_non_trace_is_one_plain_line_before_the_screen(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    if name == "a-directory":
        p.mkdir()
    else:
        p.write_bytes(_NOT_TRACES[name])
    r = _view(p)
    assert r.returncode == 2
    assert b"\x1b" not in r.stdout and b"\x1b" not in r.stderr
    assert r.stdout == b""
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"tracetui: {p}: ")


def test_the_head_check_lets_traces_through(tmp_path: Path) -> None:
    _check_trace_head(str(GCSTW))
    pf = tmp_path / "x.pftrace"
    pf.write_bytes(b"\x0a\x02\x08\x01" * 16)  # Trace.packet records
    _check_trace_head(str(pf))
    exported = tmp_path / "gcstw.pftrace"  # a real one, of ours
    assert main(["export", str(GCSTW), "-o", str(exported)]) == 0
    _check_trace_head(str(exported))


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ("sched_latncy.p99>5ms", "'sched_latncy'"),
        ("blocks.count>1", "'blocks'"),
        ("stw.max", "'stw.max'"),
        ("stw.p95>1ms", "'stw.p95>1ms'"),
        ("stw.max>>1ms", "'stw.max>>1ms'"),
        ("mmu.10<0.5", "'mmu.10<0.5'"),
    ],
)
def test_fail_on_unknown_metric_or_bad_syntax(capsys: pytest.CaptureFixture[str], rule: str, named: str) -> None:
    assert main(["summary", str(GCSTW), "--fail-on", rule]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # it fails before the trace is read
    lines = err.splitlines()
    assert len(lines) == 1 and named in lines[0]
    for name in ("sched_latency", "stw_<kind>", "block_<reason>", "mmu.WINDOW"):
        assert name in lines[0]


def test_fail_on_suggests_the_near_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(GCSTW), "--fail-on", "sched_latncy.p99>5ms"]) == 2
    assert "did you mean 'sched_latency'" in capsys.readouterr().err


@pytest.mark.parametrize("rule", ["block_select.count>=1000000", "stw_GC mark termination.max>1s", "task.count>9999"])
def test_fail_on_known_names_pass(capsys: pytest.CaptureFixture[str], rule: str) -> None:
    assert main(["summary", "--json", str(GCSTW), "--fail-on", rule]) == 0


def test_fail_on_a_reason_the_trace_lacks_warns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--json", str(GCSTW), "--fail-on", "block_selct.count>=1"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "warning" in lines[0] and "block_selct" in lines[0]


def test_view_fail_on_a_bad_rule_fails_before_the_screen_opens(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["view", str(GCSTW), "--fail-on", "stw.mx>1ms"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad --fail-on 'stw.mx>1ms'" in err
