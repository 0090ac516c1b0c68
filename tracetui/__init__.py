"""tracetui: a terminal trace visualizer for the Go runtime."""

__version__ = "0.1.0"
