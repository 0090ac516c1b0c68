"""`tracetui dump` is byte-identical to Go 1.27.3's `go tool trace -d=parsed`.

On every trace committed in traces/ (made by Go 1.22.10 ... 1.27.3 with traces/generate.py)
and on traces the test makes now from the same programs with the test extra's Go.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import TRACES, committed_traces, trace_id
from tracetui.cli import main
from tracetui.gotrace.dump import dump_text
from tracetui.gotrace.reader import read_trace

VERSIONS = ("1.22.10", "1.23.9", "1.24.11", "1.25.5", "1.26.6", "1.27.3")
WIRE = {"1.22.10": 22, "1.23.9": 23, "1.24.11": 23, "1.25.5": 25, "1.26.6": 26, "1.27.3": 26}


def _ours(path: Path) -> bytes:
    table = read_trace(path)
    assert table.error is None, f"{path}: {table.error}"
    return "".join(dump_text(table)).encode("utf-8", "surrogateescape")


def test_corpus_covers_every_toolchain_and_feature() -> None:
    found = {p.parent.name for p in committed_traces()}
    assert found == {f"go{v}" for v in VERSIONS}
    for v in VERSIONS:
        names = {p.stem for p in (TRACES / f"go{v}").glob("*.trace")}
        expected = {"channels", "syncprims", "nethttp", "fileio", "gcstw", "annotations", "cpuprofile"}
        expected |= {"manygoroutines", "generations"}
        if v >= "1.25":
            expected.add("flightrecorder")
        assert expected <= names, f"go{v} lacks {sorted(expected - names)}"


@pytest.mark.parametrize("path", committed_traces(), ids=trace_id)
def test_dump_matches_go_tool_trace(path: Path, gotool) -> None:
    go = gotool.parsed(path)
    assert go.returncode == 0, go.stderr.decode(errors="replace")
    assert _ours(path) == go.stdout
    table = read_trace(path)
    version = path.parent.name.removeprefix("go")
    assert table.version == WIRE[version]


def test_cli_dump_writes_the_same_bytes(gotool, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    path = TRACES / "go1.27.3" / "annotations.trace"
    assert main(["dump", str(path)]) == 0
    out, err = capfdbinary.readouterr()
    assert err == b""
    assert out == gotool.parsed(path).stdout


@pytest.fixture(scope="module")
def fresh_traces(go: str, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Traces made now by the test extra's Go from every program in traces/programs."""
    import generate

    out = tmp_path_factory.mktemp("fresh")
    made = []
    for program in generate.PROGRAMS:
        p = generate.generate("1.27.3", program, out)
        if p is not None:
            made.append(p)
    assert len(made) >= 10
    return made


def test_fresh_traces_match_go_tool_trace(fresh_traces: list[Path], gotool) -> None:
    for path in fresh_traces:
        go = gotool.parsed(path)
        assert go.returncode == 0, f"{path.name}: {go.stderr.decode(errors='replace')}"
        assert _ours(path) == go.stdout, f"{path.name}: dump differs from go tool trace -d=parsed"


def test_fresh_features_are_present(fresh_traces: list[Path], gotool) -> None:
    """The programs really exercise what the corpus claims (read from Go's own output)."""
    text = {p.stem: gotool.parsed(p).stdout.decode(errors="replace") for p in fresh_traces}
    assert "StackSample" in text["cpuprofile"]
    assert 'Name="stop-the-world (' in text["gcstw"]
    assert (
        "TaskBegin" in text["annotations"] and "RegionBegin" in text["annotations"] and " Log " in text["annotations"]
    )
    assert text["generations"].count("M=-1 P=-1 G=-1 Sync ") >= 4  # several generations
    assert 'Reason="network"' in text["nethttp"] or 'Reason="netpoll"' in text["nethttp"]
    assert 'Reason="chan receive"' in text["channels"] and 'Reason="select"' in text["channels"]
    assert 'Reason="sync"' in text["syncprims"]
    assert text["manygoroutines"].count("NotExist->Runnable") >= 1000


def test_older_toolchains_live(tmp_path: Path, gotool) -> None:
    """One program built and traced now by each older toolchain (installed into the cache)."""
    import generate

    for v in VERSIONS[:-1]:
        p = generate.generate(v, "syncprims", tmp_path)
        assert p is not None
        go = gotool.parsed(p)
        assert go.returncode == 0
        assert _ours(p) == go.stdout, f"go{v}: dump differs"


def test_generate_script_runs(tmp_path: Path) -> None:
    """traces/generate.py, the script that regenerates the corpus, works as a command."""
    import sys

    r = subprocess.run(
        [
            sys.executable,
            str(TRACES / "generate.py"),
            "--versions",
            "1.27.3",
            "--programs",
            "channels",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert list(tmp_path.rglob("channels.trace"))


def test_experimental_allocfree_events(go: str, tmp_path: Path, gotool) -> None:
    """GODEBUG=traceallocfree=1 adds experimental batches and event types >= 128."""
    import gotoolchain

    exe = tmp_path / "channels"
    env = gotoolchain.go_env(Path(go))
    subprocess.run([go, "build", "-o", str(exe), "."], cwd=TRACES / "programs" / "channels", env=env, check=True)
    out = tmp_path / "af.trace"
    subprocess.run(
        [str(exe), str(out)], env={"GODEBUG": "traceallocfree=1", "PATH": "/usr/bin:/bin"}, check=True, timeout=120
    )
    go_out = gotool.parsed(out)
    assert go_out.returncode == 0
    assert b" Experimental " in go_out.stdout
    assert _ours(out) == go_out.stdout


def test_compiled_kernel_is_built() -> None:
    """The test install builds the optional C ordering kernel (pure Python is the fallback)."""
    from tracetui.gotrace import reader

    assert reader._kernel() is not None


@pytest.mark.parametrize("path", committed_traces()[::3], ids=trace_id)
def test_pure_python_path_gives_the_same_table(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ordering paths (compiled and pure Python) give identical event tables."""
    import numpy as np

    from tracetui.gotrace.events import COLUMNS

    fast = read_trace(path)
    monkeypatch.setenv("TRACETUI_PURE_PYTHON", "1")
    pure = read_trace(path)
    for name in COLUMNS:
        assert np.array_equal(getattr(fast, name), getattr(pure, name)), name
    assert fast.strings.strings == pure.strings.strings
