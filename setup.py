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
from setuptools.command.build_py import build_py


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


class BuildPyWithoutTwins(build_py):
    """Leave the twins' build-time copies (``_frames_c.py``, ...) out of the wheel:
    their compiled modules are what ships, beside the source they were copied from."""

    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        twins = {twin.rsplit("/", 1)[1][:-3] for _, twin in TWINS}
        modules: list[tuple[str, str, str]] = super().find_package_modules(package, package_dir)
        return [m for m in modules if m[1] not in twins]


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


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithoutTwins})
