"""The model's contract (tracetui/model/README.md), read from the source with ast: readers and
consumers use its public names only, its modules stay small, the Perfetto modules import one
way, and track kinds are named."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TypeGuard

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "tracetui"
MAX_LINES = 600


def _modules(under: Path) -> list[Path]:
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import of a file, wherever it is (function bodies and
    TYPE_CHECKING blocks too); `import a.b` gives names []."""
    out: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module, [a.name for a in node.names]))
    return out


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_private_model_names_outside_the_model() -> None:
    bad = []
    for path in _modules(PKG):
        if (PKG / "model") in path.parents:
            continue
        for line, module, names in _imports(path):
            if not (module == "tracetui.model" or module.startswith("tracetui.model.")):
                continue
            parts = module.split(".")
            hidden = [p for p in parts if _private(p)] + [n for n in names if _private(n)]
            # `from tracetui.model import _group` names a private module too.
            if hidden:
                bad.append(f"{path.relative_to(ROOT)}:{line}: {module} {hidden}")
    assert not bad, "private model names imported outside tracetui/model:\n" + "\n".join(bad)


def test_no_model_module_over_the_limit() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in _modules(PKG / "model")}
    assert sizes and all(n <= MAX_LINES for n in sizes.values()), sizes


def _graph(pkg: str) -> dict[str, set[str]]:
    """Imports between the modules of a package (module -> modules of the package it imports)."""
    mods = {_name(p): p for p in _modules(PKG / pkg)}
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        for _, module, names in _imports(path):
            targets = [module] + [f"{module}.{n}" for n in names]  # `from pkg import mod`
            graph[m] |= {t for t in targets if t in mods and t != m and not t.endswith(f".{pkg}")}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n) :] + [n]
            if n not in state and (c := visit(n)) is not None:
                return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (c := visit(m)) is not None:
            return c
    return None


@pytest.mark.parametrize("pkg", ["perfetto", "model"])
def test_no_import_cycle(pkg: str) -> None:
    graph = _graph(pkg)
    assert graph, pkg
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _called(node: ast.AST, *names: str) -> TypeGuard[ast.Call]:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names


def _is_int(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _is_private_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and _private(node.value)


def _kind_numbers(path: Path) -> list[str]:
    """Places where a track kind is a bare number: Track(<int>, ...), TrackKind(<int>), or
    `.kind` compared with an int."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if _called(node, "Track", "TrackKind") and _is_int(node.args[0] if node.args else None):
            out.append(f"{path.name}:{node.lineno}")
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            kind = any(isinstance(s, ast.Attribute) and s.attr == "kind" for s in sides)
            num = any(_is_int(s) for s in sides)
            if kind and num:
                out.append(f"{path.name}:{node.lineno}")
    return out


def test_track_kinds_are_named_in_readers_and_writer() -> None:
    bad = [w for pkg in ("perfetto", "model") for p in _modules(PKG / pkg) for w in _kind_numbers(p)]
    assert not bad, bad


def _private_writes(path: Path) -> list[str]:
    """Stores to, and getattr/setattr of, another object's private attribute (not self's)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        own = False
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _private(node.attr):
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
        elif _called(node, "getattr", "setattr") and len(node.args) >= 2 and _is_private_str(node.args[1]):
            own = isinstance(node.args[0], ast.Name) and node.args[0].id == "self"
        else:
            continue
        if not own:
            out.append(f"{path.name}:{getattr(node, 'lineno', 0)}: {ast.unparse(node)}")
    return out


def test_readers_write_no_private_fields() -> None:
    bad = [w for pkg in ("perfetto", "record") for p in _modules(PKG / pkg) for w in _private_writes(p)]
    assert not bad, bad


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    src = tmp_path / "bad.py"
    src.write_text(
        "from tracetui.model.spans import _x\n"
        "t = Track(2, 0, 'G', '')\n"
        "ok = tr.kind == 3\n"
        "tab._ids = {}\n"
        "getattr(c, '_compute', None)\n"
    )
    assert [m for _, m, n in _imports(src) if any(_private(x) for x in n)] == ["tracetui.model.spans"]
    assert len(_kind_numbers(src)) == 2
    assert len(_private_writes(src)) == 2


def test_fixed_tracks_are_where_their_named_ids_say() -> None:
    from tracetui.gotrace.reader import read_trace
    from tracetui.model import GOROUTINE_STATES, CounterTrack, GCTrack, HeapTrack, TrackKind, build_model, counted_by

    t = build_model(read_trace(str(ROOT / "traces" / "go1.27.3" / "channels.trace")))
    by = {(tr.kind, tr.id): tr for tr in t.tracks}
    assert by[(TrackKind.GC, GCTrack.MARK)].spans is t.gc
    assert by[(TrackKind.GC, GCTrack.STW)].name == "STW"
    assert by[(TrackKind.HEAP, HeapTrack.IN_USE)].counter is t.heap_alloc
    assert by[(TrackKind.HEAP, HeapTrack.GOAL)].counter is t.heap_goal
    assert by[(TrackKind.COUNTER, CounterTrack.GOMAXPROCS)].counter is t.gomaxprocs
    assert list(t.goroutine_counts) == list(GOROUTINE_STATES)
    derived = [tr for tr in t.tracks if tr.kind == TrackKind.COUNTER and counted_by(tr.id) is not None]
    assert len(derived) == len(t.goroutine_counts) + len(t.thread_counts)
    for tr in derived:
        c = counted_by(tr.id)
        assert c is not None
        kind, state = c
        counts = t.goroutine_counts if kind == TrackKind.GOROUTINE else t.thread_counts
        assert tr.counter is counts[state]
        assert not tr.counter.computed
        ts, value = tr.counter.points()  # read without keeping the points
        assert not tr.counter.computed and len(ts) == len(value) > 0
        assert np.array_equal(ts, tr.counter.ts) and tr.counter.computed


def test_string_and_stack_tables_from_lists() -> None:
    from tracetui.gotrace.events import StackTable, StringTable

    s = StringTable.of(["", "a", "b", "a"])
    assert s.strings == ["", "a", "b", "a"] and s.intern("a") == 1 and s.intern("c") == 4
    st = StackTable.of([(1, 1, 2, 10), (2, 2, 2, 20)], [(0, 1), (1,), (0, 1)])
    assert st.stacks == [(), (0, 1), (1,), (0, 1)] and st.stack((0, 1)) == 1
    assert st.frame(2, 2, 2, 20) == 1 and st.frame(3, 1, 2, 5) == 2
