"""Exact port of Go's ``slices.SortFunc`` (pattern-defeating quicksort).

Go's trace parser orders events and other records with ``slices.SortFunc``.
That sort is *not* stable: when keys compare equal, the resulting permutation
depends on the exact steps of Go's pdqsort implementation.  To reproduce Go's
parser output bit for bit we therefore port the algorithm literally, from
``$GOROOT/src/slices/sort.go`` and ``$GOROOT/src/slices/zsortanyfunc.go``
(verified against Go 1.27.3 with tests/gotrace/test_gosort.py).

Every function below mirrors the Go function of the same name (with the
``CmpFunc`` suffix dropped and names converted to snake_case).  The Go code
only ever uses the comparison as ``cmp(x, y) < 0``, so internally the port is
written in terms of a ``less(x, y) -> bool`` predicate; this is what lets
:func:`go_sort_by_key` compare precomputed keys with a plain ``<``.

Quirks of the Go code are preserved on purpose (e.g. the leftward shift loop
in ``partialInsertionSortCmpFunc`` runs down to index 1 rather than to ``a``),
so that even the sequence of ``cmp`` calls is the same as in Go.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["go_sort_by_key", "go_sort_func"]

T = TypeVar("T")

_Less = Callable[[Any, Any], bool]

_MASK64 = (1 << 64) - 1

# sortedHint values (sort.go).
_UNKNOWN_HINT = 0
_INCREASING_HINT = 1
_DECREASING_HINT = 2


def go_sort_func(items: list[T], cmp: Callable[[T, T], int]) -> None:
    """Sort items in place exactly as Go's slices.SortFunc(items, cmp) would.

    The result is the same permutation Go produces, also for equal keys.
    ``cmp(a, b)`` must return a negative number when ``a < b``, a positive
    number when ``a > b`` and zero when they are equal (like Go's ``cmp``
    callback); only the sign of "negative or not" is ever used.
    """

    def less(x: T, y: T) -> bool:
        return cmp(x, y) < 0

    _sort(items, less)


def go_sort_by_key(items: list[T], key: Callable[[T], Any]) -> None:
    """Like go_sort_func with cmp = cmp.Compare(key(a), key(b)) (keys are ints).

    ``key`` is called exactly once per item.  Keys must be totally ordered by
    ``<`` (ints, or tuples of ints, ...); floating point NaN keys are not
    supported (Go's ``cmp.Compare`` orders NaN first, plain ``<`` does not).
    """
    # Decorate with the key so the sort compares plain keys; the permutation
    # applied to the pairs is exactly the one Go applies to the items.
    pairs = [(key(item), item) for item in items]
    _sort(pairs, _pair_key_less)
    items[:] = [item for _, item in pairs]


def _pair_key_less(x: tuple[Any, Any], y: tuple[Any, Any]) -> bool:
    return x[0] < y[0]


# ---------------------------------------------------------------------------
# sort.go
# ---------------------------------------------------------------------------


def _sort(data: list[Any], less: _Less) -> None:
    """slices.SortFunc: ``pdqsortCmpFunc(x, 0, n, bits.Len(uint(n)), cmp)``."""
    n = len(data)
    _pdqsort(data, 0, n, n.bit_length(), less)


class _XorShift:
    """Go's ``xorshift`` type: a 64-bit xorshift PRNG (``type xorshift uint64``)."""

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        self.state = seed & _MASK64

    def next(self) -> int:
        r = self.state
        r ^= (r << 13) & _MASK64
        r ^= r >> 7
        r ^= (r << 17) & _MASK64
        self.state = r
        return r


def _next_power_of_two(length: int) -> int:
    """``1 << bits.Len(uint(length))``."""
    return 1 << length.bit_length()


# ---------------------------------------------------------------------------
# zsortanyfunc.go
# ---------------------------------------------------------------------------


def _insertion_sort(data: list[Any], a: int, b: int, less: _Less) -> None:
    """insertionSortCmpFunc: sorts data[a:b] using insertion sort."""
    for i in range(a + 1, b):
        j = i
        while j > a and less(data[j], data[j - 1]):
            data[j], data[j - 1] = data[j - 1], data[j]
            j -= 1


def _sift_down(data: list[Any], lo: int, hi: int, first: int, less: _Less) -> None:
    """siftDownCmpFunc: implements the heap property on data[lo:hi].

    ``first`` is an offset into the array where the root of the heap lies.
    """
    root = lo
    while True:
        child = 2 * root + 1
        if child >= hi:
            return
        if child + 1 < hi and less(data[first + child], data[first + child + 1]):
            child += 1
        if not less(data[first + root], data[first + child]):
            return
        data[first + root], data[first + child] = data[first + child], data[first + root]
        root = child


def _heap_sort(data: list[Any], a: int, b: int, less: _Less) -> None:
    """heapSortCmpFunc: sorts data[a:b] using heapsort."""
    first = a
    lo = 0
    hi = b - a

    # Build heap with greatest element at top.
    # Go's (hi - 1) / 2 truncates toward zero; hi >= 0 here so // is equal
    # except for hi == 0, where Go gives 0 (one no-op sift) and // gives -1
    # (no iterations); both leave data untouched.
    for i in range((hi - 1) // 2, -1, -1):
        _sift_down(data, i, hi, first, less)

    # Pop elements, largest first, into end of data.
    for i in range(hi - 1, -1, -1):
        data[first], data[first + i] = data[first + i], data[first]
        _sift_down(data, lo, i, first, less)


def _pdqsort(data: list[Any], a: int, b: int, limit: int, less: _Less) -> None:
    """pdqsortCmpFunc: sorts data[a:b].

    ``limit`` is the number of allowed bad (very unbalanced) pivots before
    falling back to heapsort.
    """
    max_insertion = 12

    was_balanced = True  # whether the last partitioning was reasonably balanced
    was_partitioned = True  # whether the slice was already partitioned

    while True:
        length = b - a

        if length <= max_insertion:
            _insertion_sort(data, a, b, less)
            return

        # Fall back to heapsort if too many bad choices were made.
        if limit == 0:
            _heap_sort(data, a, b, less)
            return

        # If the last partitioning was imbalanced, we need to break patterns.
        if not was_balanced:
            _break_patterns(data, a, b)
            limit -= 1

        pivot, hint = _choose_pivot(data, a, b, less)
        if hint == _DECREASING_HINT:
            _reverse_range(data, a, b)
            # The chosen pivot was pivot-a elements after the start of the
            # array. After reversing it is pivot-a elements before the end.
            pivot = (b - 1) - (pivot - a)
            hint = _INCREASING_HINT

        # The slice is likely already sorted.
        if was_balanced and was_partitioned and hint == _INCREASING_HINT and _partial_insertion_sort(data, a, b, less):
            return

        # Probably the slice contains many duplicate elements, partition the
        # slice into elements equal to and elements greater than the pivot.
        if a > 0 and not less(data[a - 1], data[pivot]):
            a = _partition_equal(data, a, b, pivot, less)
            continue

        mid, already_partitioned = _partition(data, a, b, pivot, less)
        was_partitioned = already_partitioned

        left_len, right_len = mid - a, b - mid
        balance_threshold = length // 8
        if left_len < right_len:
            was_balanced = left_len >= balance_threshold
            _pdqsort(data, a, mid, limit, less)
            a = mid + 1
        else:
            was_balanced = right_len >= balance_threshold
            _pdqsort(data, mid + 1, b, limit, less)
            b = mid


def _partition(data: list[Any], a: int, b: int, pivot: int, less: _Less) -> tuple[int, bool]:
    """partitionCmpFunc: does one quicksort partition.

    Let p = data[pivot]. Moves elements in data[a:b] around, so that
    data[i] < p and data[j] >= p for i < newpivot and j > newpivot.
    On return, data[newpivot] = p. Returns (newpivot, alreadyPartitioned).
    """
    data[a], data[pivot] = data[pivot], data[a]
    i, j = a + 1, b - 1  # inclusive bounds of the elements remaining to be partitioned

    while i <= j and less(data[i], data[a]):
        i += 1
    while i <= j and not less(data[j], data[a]):
        j -= 1
    if i > j:
        data[j], data[a] = data[a], data[j]
        return j, True
    data[i], data[j] = data[j], data[i]
    i += 1
    j -= 1

    while True:
        while i <= j and less(data[i], data[a]):
            i += 1
        while i <= j and not less(data[j], data[a]):
            j -= 1
        if i > j:
            break
        data[i], data[j] = data[j], data[i]
        i += 1
        j -= 1
    data[j], data[a] = data[a], data[j]
    return j, False


def _partition_equal(data: list[Any], a: int, b: int, pivot: int, less: _Less) -> int:
    """partitionEqualCmpFunc: partitions data[a:b] into elements equal to
    data[pivot] followed by elements greater than data[pivot].

    It assumes that data[a:b] does not contain elements smaller than
    data[pivot]. Returns the new pivot (start of the "greater" part).
    """
    data[a], data[pivot] = data[pivot], data[a]
    i, j = a + 1, b - 1  # inclusive bounds of the elements remaining to be partitioned

    while True:
        while i <= j and not less(data[a], data[i]):
            i += 1
        while i <= j and less(data[a], data[j]):
            j -= 1
        if i > j:
            break
        data[i], data[j] = data[j], data[i]
        i += 1
        j -= 1
    return i


def _partial_insertion_sort(data: list[Any], a: int, b: int, less: _Less) -> bool:
    """partialInsertionSortCmpFunc: partially sorts data[a:b].

    Returns True if the slice is sorted at the end.
    """
    max_steps = 5  # maximum number of adjacent out-of-order pairs that will get shifted
    shortest_shifting = 50  # don't shift any elements on short arrays

    i = a + 1
    for _ in range(max_steps):
        while i < b and not less(data[i], data[i - 1]):
            i += 1

        if i == b:
            return True

        if b - a < shortest_shifting:
            return False

        data[i], data[i - 1] = data[i - 1], data[i]

        # Shift the smaller one to the left.
        # NB: Go's loop runs down to index 1 (not a); kept for fidelity.
        if i - a >= 2:
            j = i - 1
            while j >= 1:
                if not less(data[j], data[j - 1]):
                    break
                data[j], data[j - 1] = data[j - 1], data[j]
                j -= 1
        # Shift the greater one to the right.
        if b - i >= 2:
            j = i + 1
            while j < b:
                if not less(data[j], data[j - 1]):
                    break
                data[j], data[j - 1] = data[j - 1], data[j]
                j += 1
    return False


def _break_patterns(data: list[Any], a: int, b: int) -> None:
    """breakPatternsCmpFunc: scatters some elements around in an attempt to
    break patterns that might cause imbalanced partitions in quicksort.

    The PRNG is seeded with the length, so this is fully deterministic.
    """
    length = b - a
    if length >= 8:
        random = _XorShift(length)
        modulus = _next_power_of_two(length)

        mid = a + (length // 4) * 2
        for idx in range(mid - 1, mid + 2):
            other = random.next() & (modulus - 1)
            if other >= length:
                other -= length
            data[idx], data[a + other] = data[a + other], data[idx]


def _choose_pivot(data: list[Any], a: int, b: int, less: _Less) -> tuple[int, int]:
    """choosePivotCmpFunc: chooses a pivot in data[a:b].

    [0,8): chooses a static pivot.
    [8,shortestNinther): uses the simple median-of-three method.
    [shortestNinther,inf): uses the Tukey ninther method.

    Returns (pivot, sortedHint).
    """
    shortest_ninther = 50
    max_swaps = 4 * 3

    l = b - a

    swaps = [0]  # boxed counter, stands in for Go's *int
    i = a + l // 4 * 1
    j = a + l // 4 * 2
    k = a + l // 4 * 3

    if l >= 8:
        if l >= shortest_ninther:
            # Tukey ninther method, the idea came from Rust's implementation.
            i = _median_adjacent(data, i, swaps, less)
            j = _median_adjacent(data, j, swaps, less)
            k = _median_adjacent(data, k, swaps, less)
        # Find the median among i, j, k and store it into j.
        j = _median(data, i, j, k, swaps, less)

    if swaps[0] == 0:
        return j, _INCREASING_HINT
    if swaps[0] == max_swaps:
        return j, _DECREASING_HINT
    return j, _UNKNOWN_HINT


def _order2(data: list[Any], a: int, b: int, swaps: list[int], less: _Less) -> tuple[int, int]:
    """order2CmpFunc: returns x,y where data[x] <= data[y], where x,y=a,b or x,y=b,a."""
    if less(data[b], data[a]):
        swaps[0] += 1
        return b, a
    return a, b


def _median(data: list[Any], a: int, b: int, c: int, swaps: list[int], less: _Less) -> int:
    """medianCmpFunc: returns x where data[x] is the median of data[a],data[b],data[c]."""
    a, b = _order2(data, a, b, swaps, less)
    b, c = _order2(data, b, c, swaps, less)
    a, b = _order2(data, a, b, swaps, less)
    return b


def _median_adjacent(data: list[Any], a: int, swaps: list[int], less: _Less) -> int:
    """medianAdjacentCmpFunc: finds the median of data[a-1], data[a], data[a+1]."""
    return _median(data, a - 1, a, a + 1, swaps, less)


def _reverse_range(data: list[Any], a: int, b: int) -> None:
    """reverseRangeCmpFunc: reverses data[a:b] in place."""
    i = a
    j = b - 1
    while i < j:
        data[i], data[j] = data[j], data[i]
        i += 1
        j -= 1
