"""Build configuration beyond pyproject.toml: the optional compiled kernels (ordering, batch decoding, the v1 merge).

Without a C compiler the extension is skipped and tracetui runs the same loop in Python.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "tracetui.gotrace._korder",
            ["tracetui/gotrace/_korder.c"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(
            "tracetui.gotrace._kdecode",
            ["tracetui/gotrace/_kdecode.c"],
            depends=["tracetui/gotrace/_uvarint.h"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(
            "tracetui.gotrace._kdump",
            ["tracetui/gotrace/_kdump.c"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(
            "tracetui.gotrace.v1._kv1order",
            ["tracetui/gotrace/v1/_kv1order.c"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(
            "tracetui.gotrace.v1._kv1scan",
            ["tracetui/gotrace/v1/_kv1scan.c"],
            depends=["tracetui/gotrace/_uvarint.h"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(
            "tracetui.model._kutil",
            ["tracetui/model/_kutil.c"],
            optional=True,
            extra_compile_args=["-O2"],
        ),
    ]
)
