"""`tracetui record`: run or reach a Go program and produce a trace (see recorder.py)."""
