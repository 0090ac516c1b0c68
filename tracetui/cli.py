"""The front door: one small function per command; argument parsing and exit codes only."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tracetui import __version__
from tracetui.errors import TraceFormatError, TracetuiError, UsageError

if TYPE_CHECKING:
    from tracetui.load import Loader
    from tracetui.record.options import RecordOptions
    from tracetui.tui.app import LiveControl


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
    p.add_argument("trace", metavar="TRACE", help="a Go execution trace, or a Perfetto trace tracetui wrote")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("--fail-on", action="append", default=[], metavar="RULE",
                   help="exit 1 when a histogram breaches RULE, e.g. 'sched_latency.p99>5ms', 'stw.max>1ms' "
                        "(repeatable; names as in the JSON's histograms), or the MMU at a window: 'mmu.10ms<0.5'")  # fmt: skip
    p.add_argument("--show-injected", action="store_true", help="include the code tracetui record added to it")
    p.set_defaults(func=_cmd_summary)

    p = sub.add_parser("diff", help="compare two runs: what changed, and whether the host was the same")
    p.add_argument("traces", nargs="+", metavar="TRACE", help="A B, or several per side: A1 A2 -- B1 B2")
    p.add_argument("--then", nargs="+", default=None, help=argparse.SUPPRESS)  # B's traces (after `--`)
    p.add_argument("--json", action="store_true", help='print {"a": SUMMARY, "b": SUMMARY, "delta": {...}}')
    p.add_argument("--fail-on", action="append", default=[], metavar="RULE",
                   help="exit 1 when a change breaches RULE: 'block.sync.total_ns>+10%%' (relative), "
                        "'stw.max>+1ms' (B - A), 'sched_latency.p99>5ms' (B's value); paths as in the JSON's delta")  # fmt: skip
    p.add_argument("--show-injected", action="store_true", help="include the code tracetui record added to them")
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser("view", help="open the timeline (press ? inside for the keys)")
    p.add_argument("trace", metavar="TRACE", help="a Go execution trace")
    p.add_argument(
        "--color",
        choices=("auto", "truecolor", "256", "16", "none"),
        default="auto",
        help="colours: auto (truecolor if COLORTERM says so, none under NO_COLOR, else 256)",
    )
    p.add_argument("--no-mouse", action="store_true", help="leave the mouse to the terminal")
    p.add_argument("--fail-on", action="append", default=[], metavar="RULE",
                   help="open with the list of summary --fail-on RULE breaches (e.g. 'stw.max>1ms'); "
                   "Enter on one shows where it happened")  # fmt: skip
    p.add_argument("--compare", metavar="B",
                   help="a second run (trace or recording) beside TRACE: v switches the timeline, "
                   "screens 2-5 show both and what changed")  # fmt: skip
    p.set_defaults(func=_cmd_view)

    p = sub.add_parser("export", help="write the trace as a Perfetto trace (for ui.perfetto.dev), or traces as Parquet")
    p.add_argument("trace", metavar="TRACE", help="a Go execution trace (or a Perfetto trace tracetui wrote)")
    p.add_argument("more", nargs="*", metavar="TRACE", help="more traces (with --parquet)")
    p.add_argument("--parquet", metavar="DIR",
                   help="write the `tracetui sql` tables of the traces as Parquet under DIR, partitioned by trace")  # fmt: skip
    p.add_argument(
        "-o", "--output", metavar="OUT", help="the Perfetto file to write (default: TRACE's name + .pftrace)"
    )
    p.add_argument(
        "--serve",
        action="store_true",
        help="then serve it on 127.0.0.1:9001 for ui.perfetto.dev, until it was fetched or Ctrl-C",
    )
    p.add_argument("--no-compress", action="store_true", help="plain packets (no zlib compressed_packets chunks)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser(
        "record",
        help="run a Go program (or reach a service) and record a trace of it",
        usage="tracetui record [options] -- CMD [ARGS...]  |  tracetui record --pprof URL [options]",
    )
    p.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        metavar="CMD",
        help="`go run PKG ...`, `go test ...`, a Go package directory, a Go binary, or any command",
    )
    p.add_argument("-o", "--output", metavar="PATH", help="the Perfetto file (default ./<command>-<time>.pftrace)")
    p.add_argument(
        "--mode",
        choices=("auto", "source", "test", "binary", "pprof", "plain"),
        default="auto",
        help="how to record (default: chosen from CMD)",
    )
    p.add_argument("--duration", metavar="D", help="stop after D (10s, 500ms, 2m): the program gets SIGINT")
    p.add_argument("--max-size", metavar="SIZE", help="stop tracing when the raw trace reaches SIZE (100MB)")
    p.add_argument("--pprof", metavar="URL", help="fetch a trace from a running service's net/http/pprof")
    p.add_argument("--no-sample", action="store_true", help="no /proc sampling of the process tree")
    p.add_argument("--sample-hz", type=float, default=25.0, metavar="HZ", help="samples per second (20-50)")
    p.add_argument(
        "--schedtrace",
        type=int,
        default=100,
        metavar="MS",
        help="Go binaries: the GODEBUG schedtrace period (ms, default 100)",
    )
    p.add_argument(
        "--scheddetail", action="store_true", help="Go binaries: per-P/M/G rows (costly with 10k+ goroutines)"
    )
    p.add_argument(
        "--cpu-profile",
        action="store_true",
        help="run Go's CPU profiler during the trace, so that it holds CPU samples (go run and go test modes; "
        "not for a program that starts the CPU profiler itself)",
    )
    p.add_argument(
        "--foreground",
        action="store_true",
        help="keep the program in tracetui's process group (for programs that read the terminal)",
    )
    p.add_argument("--no-view", action="store_true", help="do not open the viewer afterwards")
    p.add_argument(
        "--flight",
        action="store_true",
        help="keep the last --window of trace in the program (Go 1.25+) and write it when a trigger fires",
    )
    p.add_argument("--window", metavar="D", default="10s", help="--flight: the time kept (default 10s)")
    p.add_argument("--max-bytes", metavar="SIZE", default="64MB", help="--flight: at most this much kept (64MB)")
    p.add_argument(
        "--on",
        metavar="RULE",
        action="append",
        default=[],
        help="--flight: snapshot when RULE holds, e.g. 'sched_latency.p99>5ms', 'gc_pause.max>2ms', "
        "'goroutines>10000', 'heap>2GB' (repeatable)",
    )
    p.add_argument("--cooldown", metavar="D", help="--flight: the least time between two rule snapshots (--window)")
    p.add_argument(
        "--live",
        action="store_true",
        help="watch the trace while the program runs (go run, a package directory); q stops the recording",
    )
    p.add_argument(
        "--keep", metavar="D", default="5m", help="--live: the time the view holds (default 5m); the files keep all"
    )
    p.add_argument(
        "--color",
        choices=("auto", "truecolor", "256", "16", "none"),
        default="auto",
        help="the viewer's colours (see `tracetui view --help`)",
    )
    p.add_argument("--no-mouse", action="store_true", help="leave the mouse to the terminal in the viewer")
    p.set_defaults(func=_cmd_record)

    p = sub.add_parser("pprof", help="write a block or CPU profile that `go tool pprof` reads")
    p.add_argument("trace", metavar="TRACE", help="a Go execution trace (or a Perfetto trace tracetui wrote)")
    p.add_argument(
        "--type",
        required=True,
        choices=("net", "sync", "syscall", "sched", "cpu"),
        dest="kind",
        help="network, synchronization or syscall blocking, scheduler latency, or the CPU profile samples "
        "the trace holds (when the CPU profiler ran during it, e.g. `record --cpu-profile`)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="the profile to write (default TRACE-TYPE.pb.gz)")
    p.add_argument("--show-injected", action="store_true", help="include the code tracetui record added to it")
    p.set_defaults(func=_cmd_pprof)

    p = sub.add_parser("sql", help="run a SQL query (DuckDB) over the tables of one or many traces")
    p.add_argument(
        "query", metavar="QUERY", nargs="?", help="the query, e.g. 'SELECT trace, max(dur_ns) FROM stw GROUP BY trace'"
    )
    p.add_argument(
        "traces",
        metavar="TRACE",
        nargs="*",
        help="Go execution traces or Perfetto traces tracetui wrote; a directory: the .trace, .gotrace, .pftrace "
        "and .out files in it",
    )
    p.add_argument("--schema", action="store_true", help="list the tables and their columns")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="print CSV")
    out.add_argument("--json", action="store_true", help="print a JSON list of row objects")
    p.add_argument("--no-cache", action="store_true", help="convert every trace afresh (and keep nothing)")
    p.add_argument("-j", "--jobs", type=int, metavar="N", help="convert in N processes (default: one per core)")
    p.set_defaults(func=_cmd_sql)

    p = sub.add_parser("dump", help="print every event as `go tool trace -d=parsed` does")
    p.add_argument("trace", metavar="TRACE", help="a Go execution trace")
    p.set_defaults(func=_cmd_dump)
    return parser


def _load(path: str):
    from tracetui.gotrace.reader import read_trace
    from tracetui.load import check_readable

    check_readable(path)
    return read_trace(path)


def _load_model(path: str):
    """The model of a Go or Perfetto trace and what was lost of a partial one (None if
    whole); warns on stderr about a partial trace, raises on an unusable one."""
    from tracetui.load import open_model

    opened = open_model(path)
    if opened.warning:
        print(opened.warning, file=sys.stderr)
    return opened.trace, opened.partial


def _cmd_dump(args: argparse.Namespace) -> int:
    from tracetui.gotrace.dump import dump_text, write_dump
    from tracetui.load import usable
    from tracetui.sanitize import safe_text

    _not_perfetto(args.trace)
    table = _load(args.trace)
    warning = usable(args.trace, table)
    if warning:
        print(warning, file=sys.stderr)
    out = sys.stdout
    stop = table.valid_events if table.error else None
    raw = out.buffer
    if not out.isatty():
        write_dump(table, raw, stop)
        raw.flush()
        return EXIT_OK
    buf: list[str] = []
    for line in dump_text(table, stop):
        buf.append(safe_text(line))
        if len(buf) >= 4096:
            raw.write("".join(buf).encode("utf-8", "surrogateescape"))
            buf.clear()
    raw.write("".join(buf).encode("utf-8", "surrogateescape"))
    raw.flush()
    return EXIT_OK


def _not_perfetto(path: str) -> None:
    """dump prints a Go trace's events: on a Perfetto file, one line saying so (and naming
    the Go trace record wrote beside it, if there is one)."""
    from tracetui.load import check_readable

    check_readable(path)
    try:
        with open(path, "rb") as f:
            head = f.read(64)
        from tracetui.perfetto.reader import is_perfetto
    except (OSError, ImportError):
        return
    if not is_perfetto(head):
        return
    gotrace = os.path.splitext(path)[0] + ".gotrace"
    hint = f"; try `tracetui dump {gotrace}`" if os.path.isfile(gotrace) else ""
    raise UsageError(
        "a Perfetto trace: dump prints the events of a Go execution trace only "
        f"(view, summary and export read this file){hint}",
        path=path,
    )


def color_system(choice: str, environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The colour system for `--color`: auto is truecolor only when COLORTERM says so
    (it is not sent over SSH), none under NO_COLOR or TERM=dumb, else 256."""
    if choice != "auto":
        return choice
    if "NO_COLOR" in environ or environ.get("TERM") == "dumb":
        return "none"
    if environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return "truecolor"
    return "256"


def _first_kb(path: str, kb: int) -> bytes:
    with open(path, "rb") as f:
        return f.read(kb << 10)


def _check_trace_head(path: str) -> None:
    """Raise a one-line error unless the file starts as a trace we read (a Go trace of a
    supported version, or a Perfetto trace): the viewer checks before the screen opens."""
    from tracetui.gotrace.reader import open_reader
    from tracetui.load import _head, _perfetto_reader
    from tracetui.perfetto.wire import plausible_start

    head = _head(path)
    if not head:
        raise TraceFormatError("empty file, not a trace", path=path)
    if _perfetto_reader(head) is None:
        open_reader(head, path)  # the header's checks: not a Go trace, or a version we do not read
    elif head.startswith(b"\x0a") and not plausible_start(_first_kb(path, 64), os.path.getsize(path)):
        raise TraceFormatError("bad file format: neither a Go execution trace nor a Perfetto trace", path=path)


def _cmd_view(args: argparse.Namespace) -> int:
    from tracetui.analysis.thresholds import parse_rule

    rules = [parse_rule(r) for r in args.fail_on]  # bad rules fail before the screen opens
    _check_trace_head(args.trace)  # fail before the screen opens
    if args.compare:
        _check_trace_head(args.compare)
    system = color_system(args.color)
    # Textual reads its colour system from the environment when it is imported.
    os.environ["TEXTUAL_COLOR_SYSTEM"] = {"16": "standard", "none": "standard"}.get(system, system)
    if system == "none":
        os.environ["NO_COLOR"] = "1"
    from tracetui.tui.app import TraceApp

    app = TraceApp(args.trace, system, fail_on=rules, compare=args.compare)
    app.run(mouse=not args.no_mouse)
    return int(app.return_code or 0)


def _cmd_summary(args: argparse.Namespace) -> int:
    from tracetui import report
    from tracetui.analysis.thresholds import breaches, parse_rule

    rules = [parse_rule(r) for r in args.fail_on]  # bad rules fail before the trace is read
    trace, partial = _load_model(args.trace)
    if args.json:
        sys.stdout.write(report.summary_json(trace, partial, args.show_injected) + "\n")
    else:
        report.print_summary(args.trace, trace, show_injected=args.show_injected)
    if rules:
        from tracetui.analysis.histograms import latency_histograms
        from tracetui.analysis.mmu import mmu, series
        from tracetui.sanitize import safe_text

        hist = latency_histograms(trace, show_injected=args.show_injected)
        for r in rules:  # a block reason or STW kind this trace lacks counts as empty: say so (a misspelling?)
            if r.stat != "window" and r.histogram not in hist and r.histogram.startswith(("stw_", "block_")):
                alike = sorted(n for n in hist if n.startswith(r.histogram.split("_")[0] + "_"))
                print(
                    f"tracetui: warning: --fail-on {safe_text(r.text, keep_newlines=False)!r}: no "
                    f"{safe_text(r.histogram, keep_newlines=False)} in this trace (counted as empty; it has "
                    f"{safe_text(', '.join(alike), keep_newlines=False) or 'none'})",
                    file=sys.stderr,
                )
        failed = breaches(rules, hist, lambda name, w: mmu(series(trace, name == "mmu_sweep"), w))
        if failed:
            print(
                f"tracetui: {safe_text(args.trace, keep_newlines=False)}: threshold breached: "
                + "; ".join(safe_text(f, keep_newlines=False) for f in failed),
                file=sys.stderr,
            )
            return EXIT_FINDING
    return EXIT_OK


def _diff_sides(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    if args.then is not None:
        return list(args.traces), list(args.then)
    if len(args.traces) != 2:
        raise UsageError("diff: give two traces (A B), or several per side: A1 A2 -- B1 B2")
    return [args.traces[0]], [args.traces[1]]


def _cmd_diff(args: argparse.Namespace) -> int:
    import json

    from tracetui import report
    from tracetui.analysis import diff
    from tracetui.analysis.thresholds import (
        diff_breach,
        parse_diff_rule,
        resolve_path,
        unknown_path_error,
        zero_when_missing,
    )
    from tracetui.sanitize import safe_text

    a_paths, b_paths = _diff_sides(args)
    rules = [parse_diff_rule(r) for r in args.fail_on]  # bad rules fail before the traces are read
    sides: list[list[dict[str, object]]] = [[], []]
    cpus: list[list[dict[str, int]]] = [[], []]
    for side, paths in enumerate((a_paths, b_paths)):
        for path in paths:
            args.trace = path  # named by an internal error
            trace, partial = _load_model(path)
            sides[side].append(json.loads(report.summary_json(trace, partial, args.show_injected)))
            cpus[side].append(diff.cpu_functions(trace, args.show_injected))
    a, b = sides
    changes = diff.compare(a, b, cpus[0], cpus[1])
    warnings = diff.host_warnings(a, b)
    failed = []
    for r in rules:
        metric = resolve_path(r.path, changes)
        if metric is None:
            zero = zero_when_missing(r.path)
            if zero is None:
                raise unknown_path_error(r, changes)
            metric = zero
            print(f"tracetui: warning: --fail-on {safe_text(r.text, keep_newlines=False)!r}: no "
                  f"{safe_text(metric, keep_newlines=False)} on either side (counted as 0)", file=sys.stderr)  # fmt: skip
            va = vb = 0.0
        else:
            va, vb = changes[metric].a, changes[metric].b
        if (text := diff_breach(r, metric, va, vb)) is not None:
            failed.append(text)
    if args.json:
        lists = args.then is not None  # `A1 A2 -- B1 B2`: each side a list of summaries, even of one
        out = {"a": a if lists else a[0], "b": b if lists else b[0],
               "delta": diff.delta_json(changes, warnings)}  # fmt: skip
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        from tracetui.diffreport import print_diff

        print_diff(a_paths, b_paths, a, b, changes, warnings)
    if failed:
        print("tracetui: diff: threshold breached: " + "; ".join(safe_text(f, keep_newlines=False) for f in failed),
              file=sys.stderr)  # fmt: skip
        return EXIT_FINDING
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from tracetui.perfetto.writer import write_trace
    from tracetui.sanitize import safe_text

    if args.parquet:
        return _export_parquet(args)
    if args.more:
        raise UsageError("one trace at a time (many only with --parquet)")
    out = args.output or os.path.splitext(os.path.basename(args.trace))[0] + ".pftrace"
    trace, _ = _load_model(args.trace)
    if os.path.abspath(out) == os.path.abspath(args.trace):
        raise UsageError("the output would overwrite the input", path=out)
    try:
        stats = write_trace(trace, out, compress=not args.no_compress)
    except OSError as e:
        raise TracetuiError(f"cannot write: {e.strerror or e}", path=out) from None
    size = os.path.getsize(args.trace)
    ratio = f", {stats.file_bytes / size:.2f}x the input" if size else ""
    print(f"tracetui: wrote {safe_text(out, keep_newlines=False)} ({stats.packets:,} packets, "
          f"{stats.file_bytes / 1e6:.1f} MB{ratio})", file=sys.stderr)  # fmt: skip
    if args.serve:
        from tracetui.perfetto.serve import serve

        serve(out)
    return EXIT_OK


def _sql_tables(traces: list[str], jobs: int | None, no_cache: bool):
    """The traces' tables loaded (cached unless no_cache), warnings printed; a DuckDB
    connection with a view per table, and the temporary directory to remove (or None)."""
    import shutil
    import tempfile

    from tracetui.sql.convert import cache_root
    from tracetui.sql.engine import connect, expand, load, warn

    traces = expand(traces)
    if not traces:
        raise UsageError("no trace given (see 'tracetui sql --help')")
    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be at least 1")
    root = cache_root()
    if not no_cache:  # an unwritable cache: convert into a temporary directory
        try:
            os.makedirs(root, exist_ok=True)
            no_cache = not os.access(root, os.W_OK)
        except OSError:
            no_cache = True
    tmp = tempfile.mkdtemp(prefix="tracetui-sql-") if no_cache else None
    tty = sys.stderr.isatty()

    def progress(done: int, total: int, path: str) -> None:
        if tty and total > 1:
            end = "\n" if done == total else ""
            print(f"\r\x1b[Ktracetui: converted {done}/{total} traces", end=end, file=sys.stderr, flush=True)

    loaded = load(traces, tmp or root, reuse=tmp is None, jobs=jobs, progress=progress)
    warn(loaded.warnings)
    if not loaded.converted:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        raise TracetuiError("no trace could be read: nothing to query")
    return connect(loaded), tmp


def _cmd_sql(args: argparse.Namespace) -> int:
    import shutil

    from rich.console import Console

    from tracetui.sql import output
    from tracetui.sql.engine import run

    if args.schema:
        output.print_schema(Console(highlight=False))
        return EXIT_OK
    if not args.query:
        raise UsageError("no query given (see 'tracetui sql --help'; 'tracetui sql --schema' lists the tables)")
    con, tmp = _sql_tables(args.traces, args.jobs, args.no_cache)
    try:
        columns, rows = run(con, args.query)
    finally:
        con.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.csv:
        output.write_csv(sys.stdout, columns, rows, sanitize=sys.stdout.isatty())
    elif args.json:
        output.write_json(sys.stdout, columns, rows)
    else:
        output.rich_table(Console(highlight=False), columns, rows)
    return EXIT_OK


def _export_parquet(args: argparse.Namespace) -> int:
    import shutil

    from tracetui.sanitize import safe_text
    from tracetui.sql.engine import export_parquet

    con, tmp = _sql_tables([args.trace, *args.more], None, False)
    try:
        export_parquet(con, args.parquet)
    finally:
        con.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"tracetui: wrote the tables under {safe_text(args.parquet, keep_newlines=False)} (schema.json describes them)",
          file=sys.stderr)  # fmt: skip
    return EXIT_OK


def _cmd_record(args: argparse.Namespace) -> int:
    from tracetui.record.options import RecordOptions, parse_duration, parse_size
    from tracetui.record.recorder import record
    from tracetui.record.session import Session

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not 1 <= args.sample_hz <= 100:
        raise UsageError(f"--sample-hz {args.sample_hz:g}: give 1 to 100 (20-50 is the sweet spot)")
    if args.schedtrace < 1:
        raise UsageError("--schedtrace: give a period in ms (1 or more)")
    opts = RecordOptions(
        command=command,
        mode=args.mode,
        output=args.output,
        duration=parse_duration(args.duration) if args.duration else None,
        max_size=parse_size(args.max_size) if args.max_size else None,
        sample=not args.no_sample,
        sample_hz=args.sample_hz,
        pprof=args.pprof,
        foreground=args.foreground,
        godebug_period_ms=args.schedtrace,
        scheddetail=args.scheddetail,
        cpu_profile=args.cpu_profile,
    )
    opts = _with_flight(opts, args)
    if args.live:
        from tracetui.live.command import run_live

        return run_live(args, command, opts, parse_duration(args.keep),
                        lambda path, loader, rec: _view_live(args, path, loader, rec))  # fmt: skip
    view = not args.no_view and sys.stdout.isatty() and sys.stdin.isatty()
    session = Session(opts, view=view)
    status = record(opts, session)
    if session.deferred:  # the viewer on the Go trace at once; the Perfetto file written from its model
        try:
            first = session.deferred[0]
            _view_recording(first.gotrace, args, first.loader)
        finally:
            session.write_deferred()
    elif session.written and view:
        _view_recording(session.written[0], args)
    return status


def _with_flight(opts: RecordOptions, args: argparse.Namespace) -> RecordOptions:
    """record's options with the flight recorder's, checked (their flags without --flight: one line)."""
    import dataclasses

    from tracetui.record.flight import parse_trigger
    from tracetui.record.options import parse_duration, parse_size

    if not args.flight:
        if args.on or args.cooldown:
            raise UsageError("--on and --cooldown go with --flight")
        return opts
    if args.live:
        raise UsageError("--flight writes snapshots when a trigger fires: it does not go with --live")
    window = parse_duration(args.window)
    return dataclasses.replace(
        opts,
        flight=True,
        flight_window=window,
        flight_max_bytes=parse_size(args.max_bytes),
        flight_cooldown=parse_duration(args.cooldown) if args.cooldown else window,
        triggers=[parse_trigger(r) for r in args.on],
    )


def _view_live(args: argparse.Namespace, path: str, loader: Loader, recording: LiveControl) -> int:
    """record --live's viewer: follows the trace as it is written; its exit status."""
    system = _set_colours(args)
    from tracetui.tui.app import TraceApp

    app = TraceApp(path, system, loader=loader, live=recording)
    app.run(mouse=not args.no_mouse)
    return int(app.return_code or 0)


def _set_colours(args: argparse.Namespace) -> str:
    system = color_system(args.color)
    os.environ["TEXTUAL_COLOR_SYSTEM"] = {"16": "standard", "none": "standard"}.get(system, system)
    if system == "none":
        os.environ["NO_COLOR"] = "1"
    return system


def _view_recording(path: str, args: argparse.Namespace, loader: Loader | None = None) -> None:
    """record's viewer, on a file it wrote (a loader of its own: the host rows added)."""
    system = _set_colours(args)
    from tracetui.tui.app import TraceApp

    TraceApp(path, system, loader=loader).run(mouse=not args.no_mouse)


def _cmd_pprof(args: argparse.Namespace) -> int:
    from tracetui.analysis.blocking import PROFILES, samples
    from tracetui.analysis.pprof import profile_bytes
    from tracetui.sanitize import safe_text
    from tracetui.units import format_duration

    trace, _ = _load_model(args.trace)
    out = args.output or f"{os.path.splitext(os.path.basename(args.trace))[0]}-{args.kind}.pb.gz"
    if args.kind == "cpu":
        from tracetui.analysis.cpu import PERIOD_NS, RATE_HZ, cpu_samples
        from tracetui.analysis.pprof import CPU_TYPES

        if not len(trace.cpu_samples):
            raise TracetuiError(
                "no CPU profile samples in this trace (the CPU profiler did not run during it; "
                "record with `tracetui record --cpu-profile`)",
                path=args.trace,
            )
        s = cpu_samples(trace, args.show_injected)
        data = profile_bytes(trace, s, CPU_TYPES, ("cpu", "nanoseconds", PERIOD_NS))
        what = f"CPU samples: {len(s):,}, about {format_duration(s.total)} at {RATE_HZ} Hz"
    else:
        s = samples(trace, PROFILES[args.kind], args.show_injected)
        data = profile_bytes(trace, s)
        what = f"{PROFILES[args.kind].description}: {len(s):,} samples, {format_duration(s.total)} in all"
    try:
        with open(out, "wb") as f:
            f.write(data)
    except OSError as e:
        raise TracetuiError(f"cannot write: {e.strerror or e}", path=out) from None
    print(f"tracetui: wrote {safe_text(out, keep_newlines=False)} ({what})", file=sys.stderr)
    return EXIT_OK


def _diff_argv(argv: list[str]) -> list[str]:
    """`diff A1 A2 -- B1 B2`: argparse drops a `--`, so B's side becomes `--then B1 B2`."""
    if argv[:1] == ["diff"] and "--" in argv:
        i = argv.index("--")
        return [*argv[:i], "--then", *argv[i + 1 :]]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    """Run tracetui; returns the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(_diff_argv(list(sys.argv[1:] if argv is None else argv)))
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
