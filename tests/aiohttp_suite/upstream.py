"""aiohttp's own test files, fetched from its sdist and pointed at aiohttp_ws.

Nothing of aiohttp's is kept in this repository: at test time the sdist of the
aiohttp version installed here (pinned in the ``test`` extra) is downloaded
from the package index with pip into ``tests/aiohttp_suite/.sdist/`` (ignored
by git), and one test file is read out of it.

The rewrite is mechanical and touches import statements only (found with
``ast``, replaced line for line):

* ``import aiohttp`` becomes ``import aiohttp_ws as aiohttp``;
* ``from aiohttp import ...`` takes every name from ``aiohttp_ws`` except the
  server side: ``test_utils`` stays aiohttp's and ``web`` comes from
  ``aiohttp_web.py`` beside this file, which is ``aiohttp.web`` with the
  handlers' messages typed by our ``WSMsgType`` (see its docstring): the peer
  is a real ``aiohttp.web`` server;
* ``from aiohttp.<module> import ...`` takes names from ``aiohttp_ws.<module>``
  for the client-side public modules (``client``, ``client_ws``,
  ``client_exceptions``, ``hdrs``, ``http``, ``http_websocket``) and leaves
  private modules (``aiohttp._websocket``, ``aiohttp.client_proto``, ...) as
  they are: only tests that poke aiohttp's internals use them, and those are
  skipped with that reason.

Test bodies are not touched.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import subprocess
import sys
import tarfile
from pathlib import Path

CACHE = Path(__file__).parent / ".sdist"
SERVER_SIDE = {"web", "test_utils", "pytest_plugin"}
CLIENT_MODULES = {"client", "client_ws", "client_exceptions", "hdrs", "http", "http_websocket"}


def aiohttp_version() -> str:
    return importlib.metadata.version("aiohttp")


def sdist_path(version: str) -> Path:
    """The sdist of aiohttp *version*, downloaded once with pip."""
    target = CACHE / f"aiohttp-{version}.tar.gz"
    if not target.exists():
        CACHE.mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             f"aiohttp=={version}", "-d", str(CACHE)],
            check=True,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
    return target


def upstream_source(name: str) -> tuple[str, str]:
    """``(text, path inside the sdist)`` of aiohttp's ``tests/<name>``."""
    version = aiohttp_version()
    member = f"aiohttp-{version}/tests/{name}"
    with tarfile.open(sdist_path(version)) as tar:
        fileobj = tar.extractfile(member)
        assert fileobj is not None, member
        return fileobj.read().decode("utf-8"), member


def _from_line(module: str, names: list[ast.alias], level: str) -> str:
    listed = ", ".join(a.name if a.asname is None else f"{a.name} as {a.asname}" for a in names)
    return f"{level}from {module} import {listed}"


def _rewrite_import(node: ast.stmt) -> str | None:
    """The replacement of one aiohttp import statement, or ``None`` to keep it."""
    if isinstance(node, ast.Import):
        if [a.name for a in node.names] == ["aiohttp"] and node.names[0].asname is None:
            return "import aiohttp_ws as aiohttp"
        return None
    if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
        return None
    if node.module == "aiohttp":
        ours = [a for a in node.names if a.name not in SERVER_SIDE]
        theirs = [a for a in node.names if a.name in SERVER_SIDE]
        shimmed = [a for a in theirs if a.name == "web"]
        theirs = [a for a in theirs if a.name != "web"]
        lines = [_from_line("aiohttp_ws", ours, "")] if ours else []
        lines += [_from_line("aiohttp", theirs, "")] if theirs else []
        lines += [_from_line("tests.aiohttp_suite.aiohttp_web", shimmed, "")] if shimmed else []
        return "; ".join(lines)
    head, _, rest = node.module.partition(".")
    if head == "aiohttp" and rest in CLIENT_MODULES:
        return _from_line(f"aiohttp_ws.{rest}", list(node.names), "")
    return None


def write_rewritten(name: str) -> Path:
    """Rewrite aiohttp's ``tests/<name>`` into ``.sdist/rewritten/`` and return
    the path (so tracebacks show the lines that ran)."""
    text, member = upstream_source(name)
    target = CACHE / "rewritten" / aiohttp_version() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    header = f"# {member}, imports rewritten by tests/aiohttp_suite/upstream.py (see its docstring).\n"
    target.write_text(header + rewrite(text), "utf-8")
    return target


def rewrite(source: str) -> str:
    """*source* with its aiohttp imports pointed at aiohttp_ws (see the module
    docstring). Line numbers are kept: a multi-line import becomes one line
    followed by blank lines."""
    lines = source.splitlines()
    for node in ast.parse(source).body:
        new = _rewrite_import(node)
        if new is None:
            continue
        assert node.end_lineno is not None
        first, last = node.lineno - 1, node.end_lineno - 1
        lines[first] = new
        for i in range(first + 1, last + 1):
            lines[i] = ""
    return "\n".join(lines) + "\n"
