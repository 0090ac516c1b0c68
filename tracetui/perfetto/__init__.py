"""Perfetto: the model as Perfetto's TrackEvent protobuf (writer), back (reader), a checker
of trace processor's import rules (check), and a one-shot server for ui.perfetto.dev (serve).

The file layout both sides agree on is described in `layout`.
"""
