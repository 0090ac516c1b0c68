"""Go 1.11-1.21 execution traces (the pre-generation "v1" format), read as Go 1.23+ does.

Two steps, as in Go's source: `parser` reads the wire format and orders the events
(`internal/trace/internal/tracev1`: parser.go, order.go) into a `V1Trace`; `convert` turns
that into the same `EventTable` the Go 1.22+ reader returns (`internal/trace/tracev1.go`).
"""
