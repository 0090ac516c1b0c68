"""Regenerate the images in screenshots/ from the real program.

    python screenshots/make_screenshots.py

Each image is what a command prints on a trace from traces/, rendered by Rich to SVG.
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


def main() -> None:
    for made in (summary("traces/go1.27.3/gcstw.trace", "summary.svg"),):
        print(f"wrote {made.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
