"""Tests for tracetui.gotrace.gosort, the port of Go's slices.SortFunc.

The main test builds a small Go program with the ``go`` on PATH, feeds it a
fixed set of inputs (many ties, plus adversarial patterns) and checks that
the Python port yields exactly the same permutation as Go's
``slices.SortFunc``.  The remaining tests are pure Python.
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import go_env
from tracetui.gotrace import gosort
from tracetui.gotrace.gosort import go_sort_by_key, go_sort_func

# Reads cases from stdin ("T", then per case "n k_0 ... k_{n-1}"), sorts
# []item{key, id} with slices.SortFunc comparing only the key, and prints per
# case "n id_0 ... id_{n-1}" (the ids in sorted order).
GO_SOURCE = r"""
package main

import (
	"bufio"
	"cmp"
	"os"
	"slices"
	"strconv"
)

type item struct {
	key int
	id  int
}

func main() {
	in := bufio.NewScanner(bufio.NewReaderSize(os.Stdin, 1<<20))
	in.Buffer(make([]byte, 1<<20), 1<<20)
	in.Split(bufio.ScanWords)
	next := func() int {
		if !in.Scan() {
			panic("unexpected end of input")
		}
		v, err := strconv.Atoi(in.Text())
		if err != nil {
			panic(err)
		}
		return v
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()

	cases := next()
	for c := 0; c < cases; c++ {
		n := next()
		items := make([]item, n)
		for i := range items {
			items[i] = item{key: next(), id: i}
		}
		slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.key, b.key) })
		buf := strconv.AppendInt(nil, int64(n), 10)
		for _, it := range items {
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, int64(it.id), 10)
		}
		buf = append(buf, '\n')
		out.Write(buf)
	}
}
"""

GO_MOD = "module gosortcheck\n\ngo 1.22\n"


# ---------------------------------------------------------------------------
# Fixed input set
# ---------------------------------------------------------------------------


def _pdqsort_killer(n: int, tie_range: int) -> list[int]:
    """Keys that drive pdqsort into its heapsort fallback, with ties there.

    A variant of McIlroy's "killer adversary for quicksort", run against the
    port: all keys start undecided ("gas"); comparing two undecided keys fixes
    one of them to the next smallest value, and the chosen pivot is fixed as
    soon as it is chosen, so every partition is badly unbalanced.  When the
    heapsort fallback starts, the still undecided keys get values from a small
    range above all fixed ones (ties, so the heapsort order of equal elements
    matters).  The final keys reproduce the same comparison results, so Go (if
    the port is exact) follows the same path: breakPatterns on every round,
    then heapsort.
    """
    val = [0] * n
    is_gas = [True] * n
    nsolid = 0

    def freeze(x: int, value: int) -> None:
        val[x] = value
        is_gas[x] = False

    def cmp(x: int, y: int) -> int:
        nonlocal nsolid
        if is_gas[x] and is_gas[y]:
            freeze(x, nsolid)
            nsolid += 1
        if is_gas[x]:
            return 1
        if is_gas[y]:
            return -1
        return val[x] - val[y]

    orig_choose_pivot = gosort._choose_pivot
    orig_heap_sort = gosort._heap_sort

    def choose_pivot(data: list[Any], a: int, b: int, less: Any) -> tuple[int, int]:
        nonlocal nsolid
        pivot, hint = orig_choose_pivot(data, a, b, less)
        if is_gas[data[pivot]]:
            freeze(data[pivot], nsolid)
            nsolid += 1
        return pivot, hint

    def heap_sort(data: list[Any], a: int, b: int, less: Any) -> None:
        rng = random.Random(n)
        base = n  # above every value handed out so far
        for x in range(n):
            if is_gas[x]:
                freeze(x, base + rng.randrange(tie_range))
        orig_heap_sort(data, a, b, less)

    gosort._choose_pivot = choose_pivot  # type: ignore[assignment]
    gosort._heap_sort = heap_sort  # type: ignore[assignment]
    try:
        go_sort_func(list(range(n)), cmp)
    finally:
        gosort._choose_pivot = orig_choose_pivot  # type: ignore[assignment]
        gosort._heap_sort = orig_heap_sort  # type: ignore[assignment]
    for x in range(n):  # never compared (cannot happen for n >= 2, but be safe)
        if is_gas[x]:
            freeze(x, 2 * n)
    return val


def _patterns(n: int) -> Iterator[list[int]]:
    """Adversarial / structured inputs of length n."""
    yield list(range(n))  # sorted
    yield [i // 3 for i in range(n)]  # sorted with runs of ties
    yield list(range(n, 0, -1))  # reversed
    yield [(n - i) // 3 for i in range(n)]  # reversed with runs of ties
    yield [7] * n  # all equal
    yield [i % 4 for i in range(n)]  # sawtooth, short period
    yield [i % 17 for i in range(n)]  # sawtooth, longer period
    yield [(n - i) % 5 for i in range(n)]  # descending sawtooth
    yield [min(i, n - 1 - i) for i in range(n)]  # organ pipe
    yield [max(i, n - 1 - i) for i in range(n)]  # inverted organ pipe
    yield [min(i, n - 1 - i) // 2 for i in range(n)]  # organ pipe with ties
    yield list(range(1, n)) + [0] if n else []  # push front
    yield [n] + list(range(n - 1)) if n else []  # push back
    yield [i % 2 for i in range(n)]  # alternating 0/1
    rng = random.Random(n)
    nearly = [i // 2 for i in range(n)]
    for _ in range(3):  # nearly sorted: a few swaps
        if n >= 2:
            a, b = rng.randrange(n), rng.randrange(n)
            nearly[a], nearly[b] = nearly[b], nearly[a]
    yield nearly


def build_cases() -> list[list[int]]:
    """The fixed list of key sequences compared against Go."""
    cases: list[list[int]] = []
    # Random keys from small ranges (many ties), all lengths 0..50.
    for n in range(51):
        for key_range in (1, 2, 3, 5, 16, 2 * n + 1):
            for seed in range(4):
                rng = random.Random(f"{n}/{key_range}/{seed}")
                cases.append([rng.randrange(key_range) for _ in range(n)])
    # Larger lengths.
    for n in (60, 100, 257, 1000, 5000):
        for key_range in (2, 5, 50, 1 << 40):
            for seed in range(2 if n >= 1000 else 4):
                rng = random.Random(f"{n}/{key_range}/{seed}")
                cases.append([rng.randrange(-key_range, key_range) for _ in range(n)])
    # Structured patterns.
    for n in (*range(0, 51, 7), 13, 49, 50, 51, 64, 100, 1000, 5000):
        cases.extend(_patterns(n))
    # Quicksort killers (force breakPatterns and the heapsort fallback).
    for n in (30, 50, 64, 100, 1000, 5000):
        for tie_range in (1, 3, n):
            cases.append(_pdqsort_killer(n, tie_range))
    return cases


CASES = build_cases()


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _cmp_int(a: int, b: int) -> int:
    return (a > b) - (a < b)


def _perm_by_key(keys: list[int]) -> list[int]:
    items = [(k, i) for i, k in enumerate(keys)]
    go_sort_by_key(items, lambda it: it[0])
    return [i for _, i in items]


def _perm_by_func(keys: list[int]) -> list[int]:
    items = [(k, i) for i, k in enumerate(keys)]
    # A cmp returning magnitudes other than -1/0/1, like key differences.
    go_sort_func(items, lambda a, b: 3 * (a[0] - b[0]))
    return [i for _, i in items]


@pytest.fixture(scope="module")
def go_permutations(go: str, tmp_path_factory: pytest.TempPathFactory) -> list[list[int]]:
    """Run Go's slices.SortFunc on CASES and return the id permutations."""
    workdir = tmp_path_factory.mktemp("gosort")
    (workdir / "main.go").write_text(GO_SOURCE)
    (workdir / "go.mod").write_text(GO_MOD)
    env = go_env(go)
    exe = workdir / "gosortcheck"
    build = subprocess.run(
        [go, "build", "-o", str(exe), "."],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if build.returncode != 0:
        pytest.fail(f"go build failed:\n{build.stdout}\n{build.stderr}")

    lines = [str(len(CASES))]
    lines.extend(" ".join(map(str, [len(keys), *keys])) for keys in CASES)
    run = subprocess.run(
        [str(exe)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
    )
    if run.returncode != 0:
        pytest.fail(f"Go sort program failed:\n{run.stderr}")

    perms: list[list[int]] = []
    for line in run.stdout.splitlines():
        n, *ids = map(int, line.split())
        assert len(ids) == n
        perms.append(ids)
    assert len(perms) == len(CASES)
    return perms


def _assert_all_match(go_perms: list[list[int]], port: Callable[[list[int]], list[int]]) -> None:
    mismatches = []
    for idx, (keys, want) in enumerate(zip(CASES, go_perms)):
        got = port(keys)
        if got != want:
            mismatches.append(idx)
    if mismatches:
        first = mismatches[0]
        pytest.fail(
            f"{len(mismatches)}/{len(CASES)} cases differ from Go; first is case "
            f"{first} (n={len(CASES[first])}):\n keys={CASES[first]}\n"
            f" go  ={go_perms[first]}\n port={port(CASES[first])}"
        )


# ---------------------------------------------------------------------------
# Comparison against Go
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_go_sort_by_key_matches_go(go_permutations: list[list[int]]) -> None:
    _assert_all_match(go_permutations, _perm_by_key)


@pytest.mark.slow
def test_go_sort_func_matches_go(go_permutations: list[list[int]]) -> None:
    _assert_all_match(go_permutations, _perm_by_func)


# ---------------------------------------------------------------------------
# Pure Python
# ---------------------------------------------------------------------------


def test_cases_exercise_all_code_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixed inputs reach every branch of pdqsort, so the Go comparison is meaningful."""
    counts: dict[str, int] = {}

    def counting(name: str) -> None:
        orig = getattr(gosort, name)

        def wrapper(*args: Any) -> Any:
            counts[name] = counts.get(name, 0) + 1
            return orig(*args)

        monkeypatch.setattr(gosort, name, wrapper)

    names = (
        "_insertion_sort",
        "_heap_sort",
        "_break_patterns",
        "_reverse_range",
        "_partial_insertion_sort",
        "_partition_equal",
        "_partition",
        "_median_adjacent",
    )
    for name in names:
        counting(name)
    for keys in CASES:
        _perm_by_key(keys)
    assert {name: counts.get(name, 0) > 0 for name in names} == dict.fromkeys(names, True)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 12, 13, 49, 50, 51, 200, 3000])
@pytest.mark.parametrize("key_range", [1, 3, 10, 1_000_000])
def test_sorted_and_permutation(n: int, key_range: int) -> None:
    rng = random.Random(n * 1_000_003 + key_range)
    items = [(rng.randrange(key_range), i) for i in range(n)]
    original = list(items)

    by_key = list(items)
    go_sort_by_key(by_key, lambda it: it[0])
    assert [k for k, _ in by_key] == sorted(k for k, _ in original)
    assert sorted(by_key) == sorted(original)

    by_func = list(items)
    go_sort_func(by_func, lambda a, b: _cmp_int(a[0], b[0]))
    assert by_func == by_key

    # Deterministic: same input, same permutation.
    again = list(items)
    go_sort_by_key(again, lambda it: it[0])
    assert again == by_key


def test_reverse_cmp_sorts_descending() -> None:
    rng = random.Random(42)
    values = [rng.randrange(100) for _ in range(500)]
    go_sort_func(values, lambda a, b: _cmp_int(b, a))
    assert values == sorted(values, reverse=True)


def test_key_called_once_per_item() -> None:
    calls: list[int] = []

    def key(x: int) -> int:
        calls.append(x)
        return x % 7

    values = list(range(300))
    go_sort_by_key(values, key)
    assert sorted(calls) == list(range(300))
    assert [v % 7 for v in values] == sorted(v % 7 for v in range(300))


def test_unique_keys_give_sorted_order() -> None:
    rng = random.Random(7)
    values = list(range(1000))
    rng.shuffle(values)
    go_sort_by_key(values, lambda v: -v)
    assert values == list(range(999, -1, -1))


def test_tuple_keys() -> None:
    rng = random.Random(3)
    values = [(rng.randrange(4), rng.randrange(4), i) for i in range(200)]
    go_sort_by_key(values, lambda v: (v[0], v[1]))
    assert [(a, b) for a, b, _ in values] == sorted((a, b) for a, b, _ in values)


def test_xorshift_matches_go() -> None:
    # Reference values printed by Go: r := xorshift(seed); r.Next() three times.
    for seed, want in (
        (100, [108225927524, 4618834333019916630, 13984429193936982852]),
        (5000, [5411141579183, 9575293270514740620, 2427491204332437207]),
    ):
        r = gosort._XorShift(seed)
        assert [r.next() for _ in range(3)] == want


def test_empty_and_singleton_in_place() -> None:
    empty: list[int] = []
    go_sort_func(empty, _cmp_int)
    assert empty == []
    single = [5]
    go_sort_by_key(single, lambda v: v)
    assert single == [5]
