"""Fixtures for the record tests: the Go programs in programs/, and running `tracetui record`."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import go_env

PROGRAMS = Path(__file__).resolve().parent / "programs"
ROOT = Path(__file__).resolve().parents[2]


def record_env(go: str | Path) -> dict[str, str]:
    """go_env with that go first on PATH (as a user's shell would have it)."""
    env = go_env(go)
    env["PATH"] = f"{Path(go).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env.pop("NO_COLOR", None)
    return env


@dataclass
class Recorder:
    env: dict[str, str]

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tracetui", "record", *args]

    def run(self, *args: str, cwd: Path, input: bytes | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:  # fmt: skip
        return subprocess.run(self.argv(*args), check=False, cwd=cwd, env=env or self.env, input=input, capture_output=True,
                              timeout=timeout)  # fmt: skip

    def start(self, *args: str, cwd: Path, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.argv(*args), cwd=cwd, env=self.env, stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)  # fmt: skip


@pytest.fixture(scope="session")
def recorder(go: str) -> Recorder:
    return Recorder(record_env(go))


@pytest.fixture(scope="session")
def workload_bin(go: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workload program built plainly (no tracing), once per session."""
    out = tmp_path_factory.mktemp("bin") / "workload"
    subprocess.run([go, "build", "-o", str(out), "./workload"], cwd=PROGRAMS, env=go_env(go), check=True)
    return out


def go_run(*args: str) -> list[str]:
    """`go run -C programs ./workload ARGS`: runs from any directory."""
    return ["go", "run", "-C", str(PROGRAMS), "./workload", *args]
