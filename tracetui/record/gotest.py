"""`go test` mode: one package through `-trace`, several through an exec shim that gives
each test binary `-test.trace`, one trace per package (and per run, with -count). With
`record --cpu-profile` each test binary also gets `-test.cpuprofile` (a file in the work
directory, deleted after), so its trace holds CPU samples; passed to the binary itself, not
as go test's `-cpuprofile`, which would leave a copy of the test binary behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass

from tracetui.errors import UsageError
from tracetui.record.gobuild import VALUE_FLAGS, find_go, go_list
from tracetui.record.options import RecordOptions
from tracetui.record.output import check_writable, default_output, per_package, sidecar
from tracetui.record.session import Session
from tracetui.record.supervise import Tracing, merge_godebug, run_child

GODEBUG = "traceadvanceperiod=200000000"
TEST_VALUE_FLAGS = VALUE_FLAGS | {"run", "bench", "benchtime", "count", "cpu", "parallel", "timeout", "skip", "list",
                                  "coverprofile", "cpuprofile", "memprofile", "memprofilerate", "blockprofile",
                                  "blockprofilerate", "mutexprofile", "mutexprofilefraction", "outputdir", "fuzz",
                                  "fuzztime", "fuzzminimizetime", "fuzzcachedir", "shuffle", "vet", "json.output",
                                  "test.run"}  # fmt: skip
TRACES_ENV = "TRACETUI_TEST_TRACES"
CPU_ENV = "TRACETUI_TEST_CPU"
SHIM = """#!/bin/sh
# tracetui record: run one test binary with an execution trace of its own.
bin="$1"
shift
printf '%s\\t%s\\n' "$$" "$PWD" >> "$TRACETUI_TEST_TRACES/index"
if [ -n "$TRACETUI_TEST_CPU" ]; then
    exec "$bin" -test.trace="$TRACETUI_TEST_TRACES/$$.gotrace" -test.cpuprofile="$TRACETUI_TEST_TRACES/$$.cpuprof" "$@"
fi
exec "$bin" -test.trace="$TRACETUI_TEST_TRACES/$$.gotrace" "$@"
"""


@dataclass
class TestArgs:
    flags: list[str]  # build and test flags, in order
    packages: list[str]
    binary_args: list[str]  # after -args


def split_test_args(args: list[str]) -> TestArgs:
    """`go test`'s arguments -> flags, package patterns and what follows -args."""
    flags: list[str] = []
    pkgs: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        name = a.lstrip("-").split("=", 1)[0]
        if a in ("-args", "--args"):
            return TestArgs(flags, pkgs, args[i + 1 :])
        if a.startswith("-") and a != "-":
            if name in ("trace", "test.trace", "exec", "c", "o"):
                raise UsageError(f"go test -{name} is not supported by tracetui record (it sets it itself)")
            flags.append(a)
            if "=" not in a and name in TEST_VALUE_FLAGS and i + 1 < len(args):
                flags.append(args[i + 1])
                i += 1
        else:
            pkgs.append(a)
        i += 1
    return TestArgs(flags, pkgs, [])


def _build_flags(flags: list[str]) -> list[str]:
    """The build flags among go test's flags (for go list)."""
    out: list[str] = []
    i = 0
    while i < len(flags):
        name = flags[i].lstrip("-").split("=", 1)[0]
        takes = "=" not in flags[i] and name in TEST_VALUE_FLAGS
        if name in VALUE_FLAGS or name in ("a", "race", "msan", "asan", "trimpath", "mod", "modfile", "tags"):
            out.extend(flags[i : i + 2] if takes else flags[i : i + 1])
        i += 2 if takes else 1
    return out


def _profiles_itself(flags: list[str]) -> bool:
    """go test's flags ask for a CPU profile already (its samples go into the trace too)."""
    return any(f.lstrip("-").split("=", 1)[0] in ("cpuprofile", "test.cpuprofile") for f in flags)


def record_test(opts: RecordOptions, go: str, args: list[str], session: Session) -> int:
    """Run `go test ARGS` with traces; returns go test's exit status."""
    env = dict(os.environ)
    tc = find_go(go, env)
    session.go_version = tc.version  # the test binaries are go test's: built by this toolchain
    ta = split_test_args(args)
    rows = go_list(tc, _build_flags(ta.flags), ta.packages or ["."], "{{.ImportPath}}\t{{.Dir}}")
    paths = {d: p for p, d in rows}
    single = len(rows) == 1
    name = f"{rows[0][0].rsplit('/', 1)[-1]}.test" if single else "go-test"
    out = opts.output or default_output(name)
    check_writable(out)
    run_env = dict(env)
    run_env["GODEBUG"] = merge_godebug(GODEBUG, env)
    work = tempfile.mkdtemp(prefix=".tracetui-test-", dir=os.path.dirname(os.path.abspath(out)))
    cpu = opts.cpu_profile and not _profiles_itself(ta.flags)
    binary_args = ta.binary_args
    try:
        if single:  # written in place, as it runs (record --live follows it there)
            gotrace = os.path.abspath(sidecar(out, ".gotrace"))
            argv = [go, "test", *ta.flags, f"-trace={gotrace}", *ta.packages]
            if cpu:
                binary_args = [f"-test.cpuprofile={os.path.join(work, 'cpu.prof')}", *binary_args]
        else:
            shim = os.path.join(work, "tracetui-test-shim")
            with open(shim, "w", encoding="utf-8") as f:
                f.write(SHIM)
            os.chmod(shim, 0o755)
            run_env[TRACES_ENV] = work
            if cpu:
                run_env[CPU_ENV] = "1"
            argv = [go, "test", *ta.flags, "-exec", shim, *ta.packages]
        if binary_args:
            argv += ["-args", *binary_args]
        tracing = Tracing(size=lambda: _dir_size(work))
        result = run_child(argv, run_env, opts, tracing, on_start=session.started)
        if single:
            traces = [(out, gotrace if os.path.exists(gotrace) else None)]
        else:
            traces = _collect(work, out, paths)
        session.finish(result, [(p, g) for p, g in traces if g is not None])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result.exit_status


def _keep(raw: str, dest: str) -> str | None:
    if not os.path.exists(raw):
        return None
    os.replace(raw, dest)
    return dest


def _collect(work: str, out: str, paths: dict[str, str]) -> list[tuple[str, str | None]]:
    """Each test binary's trace, named after its package (the shim's index: pid, dir)."""
    try:
        with open(os.path.join(work, "index"), encoding="utf-8", errors="replace") as f:
            index = [line.rstrip("\n").split("\t", 1) for line in f if "\t" in line]
    except FileNotFoundError:
        return []
    dirs = {d for _, d in index}
    last = [paths.get(d, d).rsplit("/", 1)[-1] for d in dirs]
    seen: dict[str, int] = {}
    traces: list[tuple[str, str | None]] = []
    for pid, d in index:
        name = paths.get(d, d)
        if last.count(name.rsplit("/", 1)[-1]) == 1:
            name = name.rsplit("/", 1)[-1]  # the package's last element, unless two share it
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # -count=N: one trace per run
            name = f"{name}.{seen[name]}"
        pf = per_package(out, name)
        traces.append((pf, _keep(os.path.join(work, f"{pid}.gotrace"), sidecar(pf, ".gotrace"))))
    return traces


def _dir_size(d: str) -> int:
    total = 0
    try:
        with os.scandir(d) as it:
            for e in it:
                if e.name.endswith(".gotrace"):
                    total += e.stat().st_size
    except OSError:
        pass
    return total
