"""Builds the optional compiled hot path; any failure falls back to pure Python.

``aiohttp_ws/sansio/frames.py`` is compiled by Cython as
``aiohttp_ws.sansio._frames_c`` (with the declarations in ``_frames_c.pxd``),
``sansio/_fast.py`` as ``aiohttp_ws.sansio._fast_c`` (``_fast_c.pxd``),
``aiohttp_ws/_hotpath.py`` as ``aiohttp_ws._hotpath_c`` (``_hotpath_c.pxd``)
and ``sansio/_mask.pyx`` as ``aiohttp_ws.sansio._mask``.
``AIOHTTP_WS_NO_EXTENSIONS=1`` at build time skips them.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Never fail an install for want of a compiler."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no Python headers, ...
            print(f"aiohttp_ws: not building the C extensions ({exc}); using pure Python", file=sys.stderr)

    def build_extension(self, ext: Any) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"aiohttp_ws: could not build {ext.name} ({exc}); using pure Python", file=sys.stderr)


#: Pure-Python sources compiled as they are, each as its twin module (a copy
#: made at build time, with the declarations of the twin's committed ``.pxd``).
TWINS = [
    ("aiohttp_ws/sansio/frames.py", "aiohttp_ws/sansio/_frames_c.py"),
    ("aiohttp_ws/sansio/_fast.py", "aiohttp_ws/sansio/_fast_c.py"),
    ("aiohttp_ws/_hotpath.py", "aiohttp_ws/_hotpath_c.py"),
]


def extensions() -> list[Extension]:
    if os.environ.get("AIOHTTP_WS_NO_EXTENSIONS"):
        return []
    try:
        from Cython.Build import cythonize

        twins = []
        for source, twin in TWINS:
            shutil.copyfile(source, twin)
            twins.append(Extension(twin[:-3].replace("/", "."), [twin]))
        print(f"aiohttp_ws: compiling the hot path ({len(twins) + 1} modules, about a minute)", file=sys.stderr)
        return list(
            cythonize(
                [*twins, Extension("aiohttp_ws.sansio._mask", ["aiohttp_ws/sansio/_mask.pyx"])],
                compiler_directives={"language_level": "3", "annotation_typing": False},
                quiet=True,
            )
        )
    except Exception as exc:
        print(f"aiohttp_ws: not compiling the hot path ({exc}); using pure Python", file=sys.stderr)
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
