"""The optional compiled kernel (`_korder`, built from _korder.c when a C compiler exists).

Set TRACETUI_PURE_PYTHON=1 to run the pure-Python paths, which give identical results.
"""

from __future__ import annotations

import os
from types import ModuleType

_MODULE: ModuleType | None | bool = None


def module() -> ModuleType | None:
    """The compiled kernel module, or None if it is not built or is switched off."""
    global _MODULE
    if os.environ.get("TRACETUI_PURE_PYTHON"):
        return None
    if _MODULE is None:
        try:
            from tracetui.gotrace import _korder  # type: ignore[attr-defined]

            _MODULE = _korder
        except ImportError:
            _MODULE = False
    return _MODULE if isinstance(_MODULE, ModuleType) else None
