"""The optional compiled kernels (C extensions built from `_k*.c` when a C compiler exists).

`module()` is the ordering kernel (`tracetui.gotrace._korder`); `module(name)` any other one,
by its dotted name (e.g. "tracetui.model._kutil"). Each has a pure-Python path beside it
that gives identical results; set TRACETUI_PURE_PYTHON=1 to run those.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

ORDER = "tracetui.gotrace._korder"
_LOADED: dict[str, ModuleType | None] = {}


def module(name: str = ORDER) -> ModuleType | None:
    """The compiled kernel module `name`, or None if it is not built or is switched off."""
    if os.environ.get("TRACETUI_PURE_PYTHON"):
        return None
    if name not in _LOADED:
        try:
            _LOADED[name] = importlib.import_module(name)
        except ImportError:
            _LOADED[name] = None
    return _LOADED[name]
