"""The Textual app: `tracetui view TRACE` (reads the model only, never a file format)."""
