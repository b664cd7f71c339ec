"""Rule 1 of the house: the Sans-I/O core imports neither asyncio nor socket."""

import ast
import pathlib

import pytest

import aiohttp_ws

PACKAGE = pathlib.Path(aiohttp_ws.__file__).parent
CORE = [
    "frames.py",
    "protocol.py",
    "deflate.py",
    "handshake.py",
    "http11.py",
    "models.py",
    "exceptions.py",
    "cookiejar.py",
    "redirects.py",
]
FORBIDDEN = {"asyncio", "socket", "ssl", "selectors"}


def imported_modules(path: pathlib.Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            names.add("." + node.module)
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_module_has_no_io_imports(module: str) -> None:
    names = imported_modules(PACKAGE / module)
    assert not names & FORBIDDEN, f"{module} imports {names & FORBIDDEN}"
    local = {n[1:] for n in names if n.startswith(".")}
    non_core = local - {m[:-3] for m in CORE} - {"_mask", "_frames_c"}  # compiled twins of the core
    assert not non_core, f"{module} imports non-core modules {non_core}"


def test_compiled_twins_are_sans_io() -> None:
    source = (PACKAGE / "_mask.pyx").read_text()
    assert "asyncio" not in source and "socket" not in source


def test_scanner_sees_imports(tmp_path: pathlib.Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import asyncio.events\nfrom socket import socket\nfrom .connection import X\n")
    assert imported_modules(probe) == {"asyncio", "socket", ".connection"}
