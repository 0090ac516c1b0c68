"""The live window over a growing trace file: generations found as bytes arrive, the
rolling window, and models of it equal to the reader's on the same generations."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from tracetui.errors import TraceFormatError
from tracetui.gotrace.reader import read_buffer
from tracetui.live.generations import GenerationIndex
from tracetui.live.window import LiveWindow

TRACES = Path(__file__).resolve().parents[2] / "traces"
VERSIONS = ["1.22.10", "1.23.9", "1.25.5", "1.27.3"]


def _trace(version: str) -> bytes:
    return (TRACES / f"go{version}" / "generations.trace").read_bytes()


@pytest.mark.parametrize("version", VERSIONS)
def test_generations_found_in_pieces_of_any_size(version: str) -> None:
    data = _trace(version)
    idx = GenerationIndex()
    done = []
    rnd = random.Random(7)
    pos = 0
    while pos < len(data):
        n = rnd.choice([1, 3, 17, 500, 4096])
        done += idx.feed(data[pos : pos + n])
        pos += n
    done += idx.finish()
    assert idx.error is None
    assert [s.gen for s in done] == [1, 2, 3]  # the program runs 2.5 s: three generations
    assert all(s.ticks_per_s > 0 for s in done)
    assert 1.0 < done[0].seconds_to(done[2]) < 3.0  # on the trace's clock
    assert done[0].start == len(idx.header) and done[-1].end == len(data)
    assert all(a.end == b.start for a, b in itertools.pairwise(done))
    # Any run of whole generations after the header is a trace the reader takes whole.
    whole = read_buffer(data)
    tail = read_buffer(idx.header + data[done[1].start : done[2].end])
    assert whole.error is None and tail.error is None
    assert 0 < len(tail) < len(whole)


def test_a_generation_is_complete_only_when_the_next_begins_or_it_is_closed() -> None:
    data = _trace("1.25.5")  # before Go 1.26 no end marker: the next generation's batch closes one
    idx = GenerationIndex()
    first_end = None
    for cut in range(0, len(data), 256):
        got = idx.feed(data[cut : cut + 256])
        if got and first_end is None:
            first_end = got[0].end
            assert cut + 256 > first_end  # completed by bytes past its end, not before
    assert first_end is not None


def test_not_a_trace_is_an_error() -> None:
    idx = GenerationIndex()
    idx.feed(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert idx.error and "not a Go execution trace" in idx.error


def _grow(path: Path, data: bytes, upto: int) -> None:
    with open(path, "ab") as f:
        f.write(data[path.stat().st_size if path.exists() else 0 : upto])


def test_window_follows_a_growing_file_and_drops_old_generations(tmp_path: Path) -> None:
    data = _trace("1.27.3")
    idx = GenerationIndex()
    idx.feed(data)
    idx.finish()
    ends = [s.end for s in idx.spans]
    path = tmp_path / "live.gotrace"
    w = LiveWindow(str(path), keep_s=1.2)  # the program runs 2.5 s, a generation a second
    assert w.poll() == 0 and w.model() is None  # no file yet
    path.write_bytes(b"")
    _grow(path, data, ends[0] - 5)
    assert w.poll() == 0 and w.model() is None  # the first generation is not whole yet
    _grow(path, data, ends[0] + 40)  # a batch of the second generation closes the first (1.26+: its end marker)
    assert w.poll() == 1
    m1 = w.model()
    assert m1 is not None and m1.generations == 1 and m1.first_gen == 1
    _grow(path, data, ends[1] + 40)
    assert w.poll() == 1
    m2 = w.model()
    assert m2 is not None and m2.generations == 2 and m2.trace.events > m1.trace.events
    # Generation 3 ends about 2 s after generation 1, more than keep: 1 leaves the window.
    _grow(path, data, len(data))
    assert w.finish() == 1
    assert w.dropped == 1 and [s.gen for s in w.window] == [2, 3]
    m3 = w.model()
    assert m3 is not None and m3.first_gen == 2 and m3.generations == 2
    assert m3.origin_ns == m1.trace.base_time  # one clock for every model of the recording
    assert m3.trace.base_time > m1.trace.base_time
    assert len(w.window_bytes()) == len(idx.header) + ends[2] - ends[0]
    w.close()


def test_window_bounded_by_bytes(tmp_path: Path) -> None:
    data = _trace("1.27.3")
    path = tmp_path / "live.gotrace"
    path.write_bytes(data)
    w = LiveWindow(str(path), max_bytes=1)
    w.finish()
    assert [s.gen for s in w.window] == [3]  # the newest generation is always kept
    w.close()


def test_too_slow_models_fewer_generations(tmp_path: Path) -> None:
    path = tmp_path / "live.gotrace"
    path.write_bytes(_trace("1.27.3"))
    w = LiveWindow(str(path), budget_s=0.0)  # no time at all: always too slow
    w.finish()
    first = w.model()
    assert first is not None and first.generations == 3 and first.skipped == 0
    second = w.model()
    assert second is not None and second.generations == 1 and second.skipped == 2 and second.first_gen == 3
    w.close()


def test_corrupt_growing_file_is_one_error(tmp_path: Path) -> None:
    data = bytearray(_trace("1.27.3"))
    data[20] = 0x7F  # the first batch's header byte no longer says "batch"
    path = tmp_path / "bad.gotrace"
    path.write_bytes(bytes(data))
    w = LiveWindow(str(path))
    with pytest.raises(TraceFormatError) as e:
        w.poll()
    assert e.value.one_line() == f"tracetui: {path}: invalid batch size 24575436819, maximum is 65536 (at byte 16)"
