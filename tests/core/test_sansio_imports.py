"""Rule 1 of the house: the Sans-I/O core imports neither asyncio nor socket."""

import ast
import pathlib

import pytest

import aiohttp_ws

PACKAGE = pathlib.Path(aiohttp_ws.__file__).parent
SANSIO = PACKAGE / "sansio"
CORE = sorted(p.name for p in SANSIO.glob("*.py") if not p.name.startswith("_frames_c"))
#: Pure modules outside sansio/ that the core may import (aiohttp's names for
#: the message types and the exception tree; neither does any I/O).
SHARED = {"..models", "..exceptions", "models.py", "exceptions.py"}
FORBIDDEN = {"asyncio", "socket", "ssl", "selectors", "anyio", "trio", "h2"}


def imported_modules(path: pathlib.Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level and node.module:
            names.add("." * node.level + node.module)
    return names


def test_the_core_is_all_there() -> None:
    assert {"frames.py", "protocol.py", "deflate.py", "handshake.py", "http11.py"} <= set(CORE)


@pytest.mark.parametrize("module", CORE)
def test_core_module_has_no_io_imports(module: str) -> None:
    names = imported_modules(SANSIO / module)
    assert not names & FORBIDDEN, f"{module} imports {names & FORBIDDEN}"
    local = {n for n in names if n.startswith(".")}
    outside = {n for n in local if n.startswith("..")} - SHARED
    assert not outside, f"{module} imports modules outside the core: {outside}"
    missing = {n for n in local - SHARED if not (SANSIO / f"{n[1:]}.py").exists()} - {"._mask", "._frames_c"}
    assert not missing, f"{module} imports {missing}"


@pytest.mark.parametrize("module", ["models.py", "exceptions.py"])
def test_shared_modules_have_no_io_imports(module: str) -> None:
    names = imported_modules(PACKAGE / module)
    assert not names & FORBIDDEN
    assert {n for n in names if n.startswith(".")} <= {".models"}


def test_old_flat_paths_are_aliases() -> None:
    import aiohttp_ws.frames
    from aiohttp_ws.protocol import WebSocketProtocol
    from aiohttp_ws.sansio import frames, protocol

    assert aiohttp_ws.frames is frames
    assert WebSocketProtocol is protocol.WebSocketProtocol


def test_compiled_twins_are_sans_io() -> None:
    source = (SANSIO / "_mask.pyx").read_text()
    assert "asyncio" not in source and "socket" not in source


def test_scanner_sees_imports(tmp_path: pathlib.Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import asyncio.events\nfrom socket import socket\nfrom .connection import X\nfrom ..models import Y\n")
    assert imported_modules(probe) == {"asyncio", "socket", ".connection", "..models"}


def test_the_asyncio_layer_never_imports_anyio() -> None:
    """The anyio layer is optional: importing and using the asyncio layer
    (client, server, ASGI app, CLI) loads neither anyio nor trio."""
    import subprocess
    import sys

    code = (
        "import sys, asyncio, aiohttp_ws, aiohttp_ws.server, aiohttp_ws.asgi, aiohttp_ws.__main__\n"
        "async def main():\n"
        "    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler) as server:\n"
        "        async with aiohttp_ws.ws_connect(f'ws://127.0.0.1:{server.port}/') as ws:\n"
        "            await ws.send_str('x'); assert (await ws.receive()).data == 'x'\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('anyio', 'trio', 'sniffio')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
