"""Bad input: not a trace, old versions, truncation at many offsets, corrupted bytes.

Every case ends in one line on stderr and exit status 2, or, when complete generations
survive, in those generations (exactly Go's events) and a one-line warning.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.conftest import TRACES
from tracetui.cli import main

SYNC_PREFIX = b"M=-1 P=-1 G=-1 Sync "


def _run(argv: list[str], capsys: pytest.CaptureFixture[bytes]) -> tuple[int, bytes, str]:
    import sys

    status = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    out, err = capsys.readouterr()
    return status, out, err.decode("utf-8", "replace")


def _through_last_sync(text: bytes) -> bytes:
    """Go's output cut after its last Sync event: the complete generations."""
    lines = text.splitlines(keepends=True)
    last = max((i for i, ln in enumerate(lines) if ln.startswith(SYNC_PREFIX)), default=-1)
    return b"".join(lines[: last + 1])


def _check_one_line(err: str, path: Path) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert lines[0].startswith(f"tracetui: {path}: "), lines[0]
    assert "Traceback" not in err


def _sample(version_dir: str, name: str = "channels") -> Path:
    path = TRACES / version_dir / f"{name}.trace"
    assert path.exists(), f"missing committed trace {path}; run traces/generate.py"
    return path


def test_not_a_trace(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("hello, this is not a trace\n")
    status, out, err = _run(["dump", str(p)], capfdbinary)
    assert status == 2 and out == b""
    _check_one_line(err, p)
    assert "not a Go execution trace" in err


@pytest.mark.parametrize("minor", [11, 19, 21])
def test_old_versions_with_garbage_are_one_line(
    minor: int, tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    # Go 1.11-1.21 traces are read (tests/gotrace/v1); zeros after the header are not events.
    p = tmp_path / "old.trace"
    p.write_bytes(f"go 1.{minor} trace\x00\x00\x00".encode() + b"\x00" * 64)
    status, out, err = _run(["summary", str(p)], capfdbinary)
    assert status == 2 and out == b""
    _check_one_line(err, p)
    assert "unknown event type 0" in err


def test_unknown_version(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    p = tmp_path / "future.trace"
    p.write_bytes(b"go 1.99 trace\x00\x00\x00")
    status, _, err = _run(["dump", str(p)], capfdbinary)
    assert status == 2
    _check_one_line(err, p)
    assert "go 1.99" in err


def test_missing_file_and_directory(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    status, _, err = _run(["dump", str(tmp_path / "nope.trace")], capfdbinary)
    assert status == 2 and "no such file" in err
    status, _, err = _run(["summary", str(tmp_path)], capfdbinary)
    assert status == 2 and "directory" in err


def test_bad_flags(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    status, _, err = _run(["summary", "--no-such-flag", "x"], capfdbinary)
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("tracetui: ")


def _offsets(size: int, n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    picks = set(range(40)) | {size - 1, size - 2, size // 2}
    picks |= {rng.randrange(40, size) for _ in range(n)}
    return sorted(o for o in picks if 0 <= o < size)


@pytest.mark.parametrize("version_dir", ["go1.27.3", "go1.22.10", "go1.25.5"])
def test_truncation_matches_go(
    version_dir: str, tmp_path: Path, gotool, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    data = _sample(version_dir, "generations").read_bytes()
    for off in _offsets(len(data), 25, seed=len(data)):
        p = tmp_path / f"trunc{off}.trace"
        p.write_bytes(data[:off])
        status, out, err = _run(["dump", str(p)], capfdbinary)
        go = gotool.parsed(p)
        if go.returncode == 0:
            assert status == 0 and err == "", f"offset {off}: Go accepts it, we said {err!r}"
            assert out == go.stdout, f"offset {off}: dump differs from Go's"
            continue
        _check_one_line(err, p)
        if status == 0:
            assert "warning" in err and "lost" in err
            assert out == _through_last_sync(go.stdout), f"offset {off}: complete generations differ from Go's"
        else:
            assert status == 2 and out == b""
        p.unlink()


@pytest.mark.parametrize("version_dir", ["go1.27.3", "go1.23.9"])
def test_corruption_matches_go(
    version_dir: str, tmp_path: Path, gotool, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    data = _sample(version_dir, "syncprims").read_bytes()
    rng = random.Random(7)
    for i in range(30):
        buf = bytearray(data)
        for _ in range(rng.choice([1, 1, 2, 8])):
            pos = rng.randrange(16, len(buf))
            buf[pos] = rng.randrange(256)
        p = tmp_path / f"corrupt{i}.trace"
        p.write_bytes(bytes(buf))
        status, out, err = _run(["dump", str(p)], capfdbinary)
        assert "Traceback" not in err
        go = gotool.parsed(p)
        if b"panic:" in go.stderr:
            # Go's parser itself crashes on some corruptions; we must still answer cleanly.
            assert status in (0, 2)
            if status == 2:
                _check_one_line(err, p)
            continue
        if go.returncode == 0:
            assert status == 0 and out == go.stdout, f"case {i}: Go accepts it; dump differs"
            continue
        _check_one_line(err, p)
        if status == 0:
            assert out == _through_last_sync(go.stdout), f"case {i}: complete generations differ from Go's"
        else:
            assert status == 2 and out == b""
