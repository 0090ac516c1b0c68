"""Build configuration beyond pyproject.toml: the optional compiled kernels (ordering, batch decoding, the v1 merge).

Without a C compiler the extension is skipped and tracetui runs the same loop in Python.
"""

from setuptools import Extension, setup

UVARINT = "tracetui/gotrace/_uvarint.h"  # shared by the two decoders


def kernel(module: str, depends: tuple[str, ...] = ()) -> Extension:
    """The optional extension `module`, built from its one C file (module path + .c)."""
    return Extension(
        module,
        [module.replace(".", "/") + ".c"],
        depends=list(depends),
        optional=True,
        extra_compile_args=["-O2"],
    )


setup(
    ext_modules=[
        kernel("tracetui.gotrace._korder"),
        kernel("tracetui.gotrace._kdecode", (UVARINT,)),
        kernel("tracetui.gotrace._kdump"),
        kernel("tracetui.gotrace.v1._kv1order"),
        kernel("tracetui.gotrace.v1._kv1scan", (UVARINT,)),
        kernel("tracetui.model._kutil"),
    ]
)
