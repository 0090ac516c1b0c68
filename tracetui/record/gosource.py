"""Go source mode: build the main package with the tracing overlay, run the binary itself."""

from __future__ import annotations

import os
import tempfile

from tracetui.record.buildinfo import go_version_of
from tracetui.record.control import Control
from tracetui.record.gobuild import build_traced, find_go, list_main, split_build_args
from tracetui.record.options import RecordOptions
from tracetui.record.output import check_writable, default_output, sidecar
from tracetui.record.overlay import TRACE_ENV
from tracetui.record.session import Session
from tracetui.record.supervise import Tracing, merge_godebug, run_child

# A generation every 200 ms: a kill loses at most that much (the default is 1 s).
GODEBUG = "traceadvanceperiod=200000000"


def _chdir(flags: list[str]) -> str | None:
    """The directory of `go run -C DIR`, where the program then runs."""
    if flags[:1] == ["-C"] and len(flags) > 1:
        return flags[1]
    if flags and flags[0].startswith(("-C=", "--C=")):
        return flags[0].split("=", 1)[1]
    return None


def record_source(opts: RecordOptions, go: str, build_args: list[str], session: Session) -> int:
    """`go run [flags] PKG args` (go = the go command, build_args = what follows `run`):
    returns the program's exit status."""
    env = dict(os.environ)
    tc = find_go(go, env)
    flags, targets, args = split_build_args(build_args)
    pkg = list_main(tc, flags, targets)
    out = opts.output or default_output(pkg.name)
    check_writable(out)
    gotrace = sidecar(out, ".gotrace")
    with tempfile.TemporaryDirectory(prefix="tracetui-build-") as work:
        binary = build_traced(tc, flags, targets, pkg, work, opts.cpu_profile)
        session.go_version = go_version_of(binary) or tc.version
        ctl = Control()
        run_env = dict(env)
        run_env[TRACE_ENV] = os.path.abspath(gotrace)
        run_env.update(ctl.env)
        run_env["GODEBUG"] = merge_godebug(GODEBUG, env)
        result = run_child(
            [binary, *args],
            run_env,
            opts,
            Tracing([os.path.abspath(gotrace)], ctl),
            cwd=_chdir(flags),
            on_start=session.started,
        )
    session.finish(result, [(out, gotrace)])
    return result.exit_status
