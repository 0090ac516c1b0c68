"""Fixtures for the v1 (Go 1.11-1.21) tests: Go's tracev1 as an oracle, the trace files, and
reading v1 files in this process before our parser exists (Go's parse, our converter)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TRACES
from tests.gotrace.v1 import goparse
from tracetui.errors import TraceFormatError
from tracetui.gotrace import v1 as v1mod
from tracetui.gotrace.v1.convert import Converted, convert

#: Go 1.21 traces of real programs (traces/generate.py --v1).
SHIPPED = sorted((TRACES / "v1").glob("go1.*/*.trace"))


def go_testdata(go: str) -> list[Path]:
    """Go's own v1 test traces (internal/trace/internal/tracev1/testdata/*_good: Go 1.11, 1.19, 1.21)."""
    root = Path(go).resolve().parent.parent
    return sorted((root / "src" / "internal" / "trace" / "internal" / "tracev1" / "testdata").glob("*_good"))


def have_parser() -> bool:
    return importlib.util.find_spec("tracetui.gotrace.v1.parser") is not None


class Oracle:
    """Go's tracev1.Parse and converter (see goparse), built once per session."""

    def __init__(self, exe: Path, work: Path) -> None:
        self.exe, self.work = exe, work

    def run(self, path: Path) -> tuple[object, str]:
        return goparse.run(self.exe, path, self.work)


@pytest.fixture(scope="session")
def oracle(go: str, tmp_path_factory: pytest.TempPathFactory) -> Oracle:
    from tests.conftest import go_env

    work = tmp_path_factory.mktemp("v1oracle")
    return Oracle(goparse.build(go, go_env(go), work), work)


@pytest.fixture
def v1_reader(oracle: Oracle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """v1 files read in this process: by our parser once it exists; until then by Go's parse
    (the oracle) and our converter, so every entry point is tested already. Yields which."""
    if have_parser():
        yield "parser"
        return

    def parse_and_convert(buf: bytes, version: int) -> Converted:
        f = tmp_path / "v1-input.trace"
        f.write_bytes(buf)
        try:
            tr, _ = oracle.run(f)
        except goparse.GoParseError as e:
            raise TraceFormatError(str(e)) from None
        return convert(tr)  # type: ignore[arg-type]

    monkeypatch.setattr(v1mod, "parse_and_convert", parse_and_convert)
    yield "oracle"
