"""Widgets of the timeline app."""
