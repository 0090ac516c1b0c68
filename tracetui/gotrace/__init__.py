"""Go execution traces (Go 1.22+ wire formats) -> an ordered, columnar event table.

The reader follows Go's own parser (`src/internal/trace`) event for event.
"""

from tracetui.gotrace.events import EventTable
from tracetui.gotrace.reader import read_trace

__all__ = ["EventTable", "read_trace"]
