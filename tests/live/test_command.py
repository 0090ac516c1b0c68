"""`record --live`'s checks and what it knows before the program runs."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.conftest import go_env
from tests.record.conftest import PROGRAMS
from tracetui.errors import UsageError
from tracetui.live.command import check_live, go_version, record_args
from tracetui.record.options import RecordOptions


def _args(**kw: object) -> argparse.Namespace:
    ns = argparse.Namespace(no_view=False, foreground=False, mode="auto", duration=None, max_size=None,
                            no_sample=False, sample_hz=25.0, schedtrace=100, scheddetail=False, cpu_profile=False)  # fmt: skip
    for k, v in kw.items():
        setattr(ns, k, v)
    return ns


@pytest.mark.parametrize(
    ("command", "kw", "pprof", "says"),
    [
        (["go", "run", "."], {"no_view": True}, None, "does not go with --no-view"),
        (["go", "run", "."], {"foreground": True}, None, "does not go with --foreground"),
        (["go", "version"], {}, "http://127.0.0.1:6060/debug/pprof/", "give no command with it"),
        ([], {"mode": "source"}, "http://127.0.0.1:6060/", "goes with --mode pprof (or auto)"),
        ([], {}, "ftp://127.0.0.1:6060/", "give an http:// or https:// URL"),
        (["go", "test", "./..."], {}, None, "give `go test` one package"),
        (["go", "test", "./a", "./b"], {}, None, "give `go test` one package"),
        (["go", "test", "./a", "./b"], {}, None, "or record several without --live"),
        (["python3", "-c", "pass"], {}, None, "records in plain mode: record it without --live"),
    ],
)
def test_what_live_refuses_is_one_line(command: list[str], kw: dict[str, object], pprof: str | None,
                                       says: str) -> None:  # fmt: skip
    with pytest.raises(UsageError) as e:
        check_live(RecordOptions(command=command, pprof=pprof), _args(**kw))
    assert says in e.value.one_line() and "\n" not in e.value.one_line()


def test_the_recorder_gets_record_s_flags() -> None:
    argv = record_args(_args(duration="5s", no_sample=True, scheddetail=True), ["go", "run", "."])
    assert argv[-4:] == ["--", "go", "run", "."]
    assert "--duration" in argv and argv[argv.index("--duration") + 1] == "5s"
    assert "--no-sample" in argv and "--scheddetail" in argv and "--live" not in argv


def test_the_go_release_is_known_before_the_program_runs(go: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in go_env(go).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("PATH", f"{Path(go).parent}:/usr/bin:/bin")
    monkeypatch.chdir(PROGRAMS)
    assert go_version(RecordOptions(command=["go", "run", "./workload"]), ["go", "run", "./workload"]) == "go1.27.3"
