"""The front door: one small function per command; argument parsing and exit codes only."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from tracetui import __version__
from tracetui.errors import TracetuiError, UsageError

EXIT_OK = 0
EXIT_FINDING = 1
EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad flags as one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see 'tracetui --help')")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tracetui", description="A terminal trace visualizer for the Go runtime.")
    parser.add_argument("--version", action="version", version=f"tracetui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("summary", help="print the findings of a trace without a UI")
    p.add_argument("trace", metavar="TRACE", help="a Go execution trace")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=_cmd_summary)

    p = sub.add_parser("view", help="open the timeline (a first cut: zoom w/s, pan a/d, fit 0, rows j/k, quit q)")
    p.add_argument("trace", metavar="TRACE", help="a Go execution trace")
    p.add_argument("--color", choices=("truecolor", "256", "16", "none"), default=None)
    p.set_defaults(func=_cmd_view)

    p = sub.add_parser("dump", help="print every event as `go tool trace -d=parsed` does")
    p.add_argument("trace", metavar="TRACE", help="a Go execution trace")
    p.set_defaults(func=_cmd_dump)
    return parser


def _load(path: str):
    from tracetui.gotrace.reader import read_trace

    if not os.path.exists(path):
        raise TracetuiError("no such file", path=path)
    if os.path.isdir(path):
        raise TracetuiError("is a directory, not a trace file", path=path)
    return read_trace(path)


def _warn_partial(path: str, table) -> None:
    from tracetui.report import partial_warning

    print(partial_warning(path, table), file=sys.stderr)


def _fail_if_unusable(path: str, table) -> None:
    """A broken trace with no complete generation is an error; otherwise warn."""
    if table.error is None:
        return
    if table.valid_size == 0:
        raise TracetuiError(table.error.split("\n")[0], path=path, offset=table.error_offset)
    _warn_partial(path, table)


def _cmd_dump(args: argparse.Namespace) -> int:
    from tracetui.gotrace.dump import dump_text
    from tracetui.sanitize import safe_text

    table = _load(args.trace)
    _fail_if_unusable(args.trace, table)
    out = sys.stdout
    tty = out.isatty()
    stop = table.valid_events if table.error else None
    raw = out.buffer
    buf: list[str] = []
    for line in dump_text(table, stop):
        buf.append(safe_text(line) if tty else line)
        if len(buf) >= 4096:
            raw.write("".join(buf).encode("utf-8", "surrogateescape"))
            buf.clear()
    raw.write("".join(buf).encode("utf-8", "surrogateescape"))
    raw.flush()
    return EXIT_OK


def _cmd_view(args: argparse.Namespace) -> int:
    from tracetui.tui.app import TraceApp

    if not os.path.exists(args.trace):
        raise TracetuiError("no such file", path=args.trace)
    color = args.color or ("none" if os.environ.get("NO_COLOR") else
                           "truecolor" if os.environ.get("COLORTERM") in ("truecolor", "24bit") else "256")
    app = TraceApp(args.trace, color)
    app.run()
    return int(app.return_code or 0)


def _cmd_summary(args: argparse.Namespace) -> int:
    from tracetui import report

    table = _load(args.trace)
    _fail_if_unusable(args.trace, table)
    if args.json:
        sys.stdout.write(report.summary_json(table) + "\n")
    else:
        report.print_summary(args.trace, table)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run tracetui; returns the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_ERROR
        return int(args.func(args))
    except TracetuiError as e:
        print(e.one_line(), file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return EXIT_OK
    except Exception as e:
        if os.environ.get("TRACETUI_DEBUG"):
            raise
        where = getattr(locals().get("args"), "trace", None)
        prefix = f"tracetui: {where}: " if where else "tracetui: "
        print(f"{prefix}internal error: {type(e).__name__}: {e} (set TRACETUI_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
