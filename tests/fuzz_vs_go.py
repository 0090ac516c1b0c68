"""Fuzz the reader against Go: mutate committed traces, compare with go tool trace -d=parsed.

    python tests/fuzz_vs_go.py [SEED] [COUNT]

Each case flips bytes and/or truncates one trace from traces/; our dump must equal Go's
output whenever Go does not panic, and our reader must stop exactly when Go's does.
Failing inputs are kept as /tmp/fz-bad-<n>.trace. Not part of the test run (slow).
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "traces"))

import gotoolchain

from tracetui.gotrace.dump import dump_text
from tracetui.gotrace.reader import read_buffer


def main() -> int:
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    go = gotoolchain.ensure_go("1.27.3")
    env = gotoolchain.go_env(go)
    files = sorted(ROOT.glob("traces/go1.*/*.trace"))
    rng = random.Random(seed)
    bad = 0
    for i in range(count):
        f = rng.choice(files)
        data = bytearray(f.read_bytes())
        mode = rng.choice(["flip", "trunc", "both"])
        if mode in ("flip", "both"):
            for _ in range(rng.choice([1, 1, 2, 4])):
                data[rng.randrange(16, len(data))] = rng.randrange(256)
        if mode in ("trunc", "both"):
            data = data[: rng.randrange(16, len(data))]
        p = Path("/tmp/fz.trace")
        p.write_bytes(data)
        g = subprocess.run([str(go), "tool", "trace", "-d=parsed", str(p)], capture_output=True, env=env, check=False)
        table = read_buffer(bytes(data), str(p))
        ours = "".join(dump_text(table)).encode("utf-8", "surrogateescape")
        if b"panic:" in g.stderr:
            continue
        if (g.returncode == 0) != (table.error is None) or ours != g.stdout:
            bad += 1
            p.rename(f"/tmp/fz-bad-{i}.trace")
            print("DIFF", i, f.relative_to(ROOT), mode, g.returncode, table.error, flush=True)
    print(f"{count} cases, {bad} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
