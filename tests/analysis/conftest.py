"""Fixtures of the analysis tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def fresh(tmp_path_factory: pytest.TempPathFactory, go: str) -> list[Path]:
    """Traces made now by the test extra's Go: network and channel blocking."""
    import generate

    out = tmp_path_factory.mktemp("fresh-analysis")
    made = [generate.generate("1.27.3", program, out) for program in ("nethttp", "channels")]
    return [p for p in made if p is not None]
