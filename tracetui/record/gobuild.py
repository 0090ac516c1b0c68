"""The user's Go toolchain: find it, ask its version, list a package, build with our overlay."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass

from tracetui.errors import TracetuiError
from tracetui.record.overlay import write_overlay
from tracetui.sanitize import safe_text

# `go build` flags that take a value (as the next argument unless written -flag=value).
VALUE_FLAGS = frozenset(("C", "p", "asmflags", "buildmode", "compiler", "gccgoflags", "gcflags", "installsuffix",
                         "ldflags", "mod", "modfile", "overlay", "pkgdir", "tags", "toolexec", "pgo", "covermode",
                         "coverpkg", "exec", "o", "reuse"))  # fmt: skip
OLDEST_MINOR = 22


class GoError(TracetuiError):
    """The Go toolchain is missing or failed."""


@dataclass
class Toolchain:
    go: str  # path of the go command
    env: dict[str, str]
    minor: int  # 27 for go1.27.3
    version: str = ""  # "go1.27.3": what it builds with (`go env GOVERSION`)


def find_go(name: str, env: dict[str, str]) -> Toolchain:
    """The `go` command named by the user (`go` on PATH, or a path) and its version."""
    path = name if os.sep in name else shutil.which(name, path=env.get("PATH", os.defpath))
    if not path or not os.access(path, os.X_OK):
        raise GoError(f"{name}: no Go toolchain found (install Go 1.22 or newer, or put `go` on PATH)")
    out = _run([path, "env", "GOVERSION"], env, "go env GOVERSION")
    m = re.search(r"go1\.(\d+)[^\s]*", out)
    minor = int(m.group(1)) if m else 99
    if minor < OLDEST_MINOR:
        raise GoError(f"{out.strip()}: tracetui record needs Go 1.22 or newer to build the program")
    return Toolchain(path, env, minor, m.group(0) if m else "")


def _run(argv: list[str], env: dict[str, str], what: str, cwd: str | None = None) -> str:
    try:
        p = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, errors="replace", check=False)
    except OSError as e:
        raise GoError(f"{what}: cannot run {argv[0]}: {e.strerror or e}") from None
    if p.returncode != 0:
        # Each line of Go's report once: all but the last as Go wrote them, the last in our error line.
        lines = p.stderr.strip().splitlines()
        if len(lines) > 1:
            sys.stderr.write(safe_text("\n".join(lines[:-1])) + "\n")
        last = lines[-1] if lines else f"exit status {p.returncode}"
        raise GoError(f"{what} failed: {safe_text(last, keep_newlines=False)}")
    return p.stdout


def split_build_args(args: list[str]) -> tuple[list[str], list[str], list[str]]:
    """`go run`'s arguments -> (build flags, package or .go files, program arguments)."""
    flags: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        flags.append(a)
        name = a.lstrip("-").split("=", 1)[0]
        if "=" not in a and name in VALUE_FLAGS and i + 1 < len(args):
            flags.append(args[i + 1])
            i += 1
        i += 1
    rest = args[i:]
    if not rest:
        return flags, ["."], []
    if rest[0].endswith(".go"):
        n = 0
        while n < len(rest) and rest[n].endswith(".go"):
            n += 1
        return flags, rest[:n], rest[n:]
    return flags, rest[:1], rest[1:]


def _merge_ldflags(flags: list[str], env: dict[str, str], minor: int) -> list[str]:
    """The build flags with the user's -ldflags (from the command line or GOFLAGS) kept and
    -checklinkname=0 added for Go 1.23+."""
    out: list[str] = []
    ld: list[str] = []
    i = 0
    while i < len(flags):
        a = flags[i]
        name = a.lstrip("-").split("=", 1)[0]
        if name == "ldflags":
            if "=" in a:
                ld = [a.split("=", 1)[1]]
            elif i + 1 < len(flags):
                ld = [flags[i + 1]]
                i += 1
        elif name in ("o", "exec"):
            raise GoError(f"-{name} is not supported by tracetui record (it builds and runs the program itself)")
        else:
            out.append(a)
        i += 1
    if not ld:
        for g in shlex.split(env.get("GOFLAGS", "")):
            if g.lstrip("-").startswith("ldflags="):
                ld = [g.split("=", 1)[1]]
    if minor >= 23:
        ld.append("-checklinkname=0")
    if ld:
        out.append("-ldflags=" + " ".join(x for x in ld if x))
    return out


@dataclass
class MainPackage:
    dir: str
    import_path: str
    name: str  # the command's name: the last element of the import path (or the file's stem)


def go_list(tc: Toolchain, flags: list[str], targets: list[str], fmt: str) -> list[list[str]]:
    """`go list -f fmt` of the targets, each line split at tabs."""
    build = [f for f in _merge_ldflags(flags, tc.env, tc.minor) if not f.startswith("-ldflags")]
    out = _run([tc.go, "list", *build, "-f", fmt, *targets], tc.env, "go list")
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def list_main(tc: Toolchain, flags: list[str], targets: list[str]) -> MainPackage:
    """`go list` the package to build; it must be one main package."""
    rows = go_list(tc, flags, targets, "{{.Name}}\t{{.ImportPath}}\t{{.Dir}}")
    if len(rows) != 1:
        raise GoError(f"{' '.join(targets)}: names {len(rows)} packages; tracetui record builds one main package")
    name, path, pkg_dir = rows[0]
    if name != "main":
        raise GoError(f"{path}: is package {name}, not a main package (a command)")
    cmd = os.path.splitext(os.path.basename(targets[0]))[0] if targets[0].endswith(".go") else path.rsplit("/", 1)[-1]
    return MainPackage(pkg_dir, path, cmd or "main")


def build_traced(
    tc: Toolchain,
    flags: list[str],
    targets: list[str],
    pkg: MainPackage,
    work_dir: str,
    cpu_profile: bool = False,
    flight: bool = False,
) -> str:
    """Build the program with the tracing overlay (and the CPU profiler's, if asked) into
    work_dir; returns the binary's path."""
    overlay, files = write_overlay(pkg.dir, work_dir, tc.minor, cpu_profile, flight)
    out = os.path.join(work_dir, pkg.name)
    build = _merge_ldflags(flags, tc.env, tc.minor)
    # Named .go files build only what is listed: list ours too.
    here = os.path.dirname(targets[0])
    extra = [os.path.join(here, os.path.basename(f)) for f in files] if targets[0].endswith(".go") else []
    _run([tc.go, "build", *build, "-overlay", overlay, "-o", out, *targets, *extra], tc.env, "go build")
    return out
