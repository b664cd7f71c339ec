"""The command line, run as a real subprocess."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from typing import Any

import pytest

import aiohttp_ws

from .conftest import accept, finish_close, read_client_frame, server_frame
from .ports import served


async def run(*args: str, stdin: bytes = b"", timeout: float = 30) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiohttp_ws", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_demo_prints_transcript_and_exits_0() -> None:
    code, out, err = await run()
    assert code == 0, err
    assert re.search(r"embedded echo server on ws://127\.0\.0\.1:\d+/", out)
    assert "< text 'Hello, WebSocket!'" in out
    assert "< binary 16 bytes: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f" in out
    assert """< text '{"msg": "hi", "n": [1, 2, 3]}'""" in out
    assert "< pong b'are you there?'" in out
    assert len(re.findall(r"round trip \d+\.\d+ ms", out)) == 4
    assert "closed with 1000 (OK)" in out


async def test_interactive_piped_against_our_server(our_server: str) -> None:
    code, out, err = await run(our_server, "--protocol", "chat", "--header", "X-Test: 1", stdin=b"one\ntwo\nflood:1:8\n")
    assert code == 0, err
    assert out.splitlines() == ["< text 'one'", "< text 'two'", "< binary 8 bytes: 00 00 00 00 00 00 00 00"]
    assert "subprotocol: chat" in err and "closed: 1000 (OK)" in err


async def test_interactive_against_websockets_server(websockets_server: str) -> None:
    code, out, err = await run(websockets_server, "--heartbeat", "5", "--max-msg-size", "1000", stdin=b"hello\n")
    assert code == 0, err
    assert out.splitlines() == ["< text 'hello'"]


async def test_interactive_reports_server_close(our_server: str) -> None:
    code, out, err = await run(our_server, stdin=b"close:4000:bye\n")
    assert code == 0, err
    assert "< close 4000 'bye'" in out and "closed: 4000" in err


async def test_interactive_connection_error_exits_1() -> None:
    code, out, err = await run("ws://127.0.0.1:1/")
    assert code == 1 and "error: Cannot connect to host 127.0.0.1:1" in err


async def test_serve_subcommand() -> None:
    async with served("--host", "127.0.0.1") as (_, url):
        assert url.startswith("ws://")
        async with aiohttp_ws.ws_connect(url) as ws:
            await ws.send_str("served")
            assert await ws.receive_str() == "served"


EXAMPLES = [
    ("echo_client.py", "closed with 1000"),
    ("multi_writer.py", "in order; close code 1000"),
    ("reconnect.py", "ended with close code 1006\nconnected"),
    ("trio_echo.py", "got: TRIO"),
    ("stream_file.py", "32 MiB in 32 parts; sha256 matches: True"),
    ("observe.py", "body='missing token'"),
    ("socks_proxy.py", "echo: through the proxy"),
    ("json_rpc.py", "3 answers matched to their requests: [2, 4, 6]"),
    ("dead_peer.py", "ServerTimeoutError; close code 1006"),
    ("many_connections.py", "40 connections, at most 10 open at once (limit 10)"),
    ("unix_socket.py", "echo: over a socket file\nclosed with 1000"),
    ("compression.py", "compress=15; a 28780-byte message took about"),
    ("tls.py", "echo: trusted by our CA\necho: pinned by fingerprint\na wrong fingerprint is refused"),
    ("login_then_connect.py", "before logging in: 403 'log in first'\nwith the cookie: welcome, cookie holder\n"
                                  "with the token: welcome, token holder"),
    ("graceful_shutdown.py", "SIGTERM: 3 connections closed with [1001]"),
    ("http_requests.py", "redirected to /echo?from=redirect after [302]"),
    ("http2.py", "50 WebSockets over HTTP/2 on 1 TCP connection(s)\nevery answer on its own stream: True\n"
                 "HTTP/1.1-only server, over HTTP/2: False\necho: fell back"),
]


@pytest.mark.parametrize("script, expected", EXAMPLES, ids=[name for name, _ in EXAMPLES])
async def test_examples_run(script: str, expected: str) -> None:
    """Each example starts its own peers and prints what it found."""
    import pathlib

    root = pathlib.Path(__file__).parent.parent / "examples"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(root / script), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 45)
    assert proc.returncode == 0, err.decode()
    assert expected in out.decode()


async def test_serve_closes_clients_with_1001_on_sigterm_and_exits_0() -> None:
    import asyncio
    import signal
    import sys

    import aiohttp_ws

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiohttp_ws", "serve", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    url = line.strip().rsplit(" ", 1)[-1]
    async with aiohttp_ws.ws_connect(url) as ws:
        await ws.send_str("before")
        assert await ws.receive_str() == "before"
        proc.send_signal(signal.SIGTERM)
        msg = await asyncio.wait_for(ws.receive(), 10)
        assert (msg.type, msg.data) == (aiohttp_ws.WSMsgType.CLOSE, 1001)  # not a dropped connection (1006)
    assert await asyncio.wait_for(proc.wait(), 15) == 0


@pytest.mark.parametrize("pure", [False, True], ids=["default", "AIOHTTP_WS_NO_EXTENSIONS=1"])
def test_version_says_which_hot_path_is_live(pure: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AIOHTTP_WS_NO_EXTENSIONS"}
    if pure:
        env["AIOHTTP_WS_NO_EXTENSIONS"] = "1"
    done = subprocess.run([sys.executable, "-m", "aiohttp_ws", "--version"], capture_output=True, text=True,
                          env=env, timeout=30, check=True)
    import importlib.machinery
    import importlib.util

    spec = importlib.util.find_spec("aiohttp_ws.sansio._frames_c")  # built as an extension here?
    built = spec is not None and str(spec.origin).endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    live = "compiled" if built and not pure else "pure-Python"
    first, python_line, extras = done.stdout.splitlines()
    assert first == f"aiohttp_ws {aiohttp_ws.__version__} ({live} hot path)"
    assert python_line.startswith(f"Python {sys.version.split()[0]} (cpython), event loop asyncio.")
    assert extras.startswith("extras: ") and "http2" in extras  # the test extras include h2


async def test_ctrl_c_closes_with_1000_and_exits_0(raw_server: Any) -> None:
    """Ctrl-C (SIGINT) ends the session like the end of input: a close frame
    with 1000 reaches the server, never a dropped socket."""
    received: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        received.append(await finish_close(reader, writer))

    server = await raw_server(script)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiohttp_ws", server.url,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    line = await asyncio.wait_for(proc.stderr.readline(), 20)
    assert b"connected to" in line
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err
    assert received == [(0x8, (1000).to_bytes(2, "big"))]
    assert b"closed: 1000 (OK)" in err and b"Traceback" not in err


async def test_a_dropped_connection_exits_1(raw_server: Any) -> None:
    """A connection that ends without a close handshake (1006) is an error."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await read_client_frame(reader)  # the first line, then TCP ends
        writer.transport.abort()

    server = await raw_server(script)
    code, out, err = await run(server.url, stdin=b"hello\n")
    assert code == 1, err
    assert "closed: 1006" in err


async def test_heartbeat_timeout_is_reported_once(raw_server: Any) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer)
        await asyncio.sleep(10)  # never answers the heartbeat's ping

    server = await raw_server(script)
    code, out, err = await run(server.url, "--heartbeat", "0.2", stdin=b"")
    assert code == 1
    assert (out + err).count("ServerTimeoutError") == 1, (out, err)


@pytest.mark.parametrize("url", ["ws://127.0.0.1:99999/", "ws://[::1/"])
async def test_a_bad_url_is_one_error_line(url: str) -> None:
    code, out, err = await run(url)
    assert code == 1
    assert err.startswith("error: ") and "Traceback" not in err, err


async def test_slash_commands_and_shown_pings(raw_server: Any) -> None:
    """--slash sends a ping, a pong, binary from hex and a close with a code and
    reason; -P prints the server's ping and answers it by hand (autoping off)."""
    seen: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept(reader, writer, extra=server_frame(0x9, b"are you there"))
        while True:
            opcode, payload = await read_client_frame(reader)
            seen.append((opcode, payload))
            if opcode == 0x8:
                writer.write(server_frame(0x8, payload[:2]))
                writer.close()
                return

    server = await raw_server(script)
    stdin = b"/ping hello\n/pong\n/binary 00ff10\n/nope\nplain\n/close 4001 done\n"
    code, out, err = await run(server.url, "--slash", "-P", stdin=stdin)
    assert code == 0, err
    answer = (0xA, b"are you there")  # sent by the reader, so anywhere before the close
    assert answer in seen[:-1]
    seen.remove(answer)
    assert seen == [(0x9, b"hello"), (0xA, b""), (0x2, b"\x00\xff\x10"), (0x1, b"plain"),
                    (0x8, (4001).to_bytes(2, "big") + b"done")]
    assert out == "< ping b'are you there'\n"
    assert "unknown command /nope" in err


async def test_compress_flag_offers_permessage_deflate() -> None:
    """--compress negotiates permessage-deflate with our server, and the
    serve subcommand's --compress and --max-msg-size are in force (a line per
    connection on standard error)."""
    async with served("--compress", "--max-msg-size", "100") as (proc, url):
        assert proc.stderr is not None
        async with aiohttp_ws.ws_connect(url, compress=15) as ws:
            assert ws.compress == 15  # the server accepted the offer
            await ws.send_str("x" * 100)
            assert await ws.receive_str() == "x" * 100
            await ws.send_str("x" * 101)  # over the server's --max-msg-size
            msg = await ws.receive()
            assert msg.tp is aiohttp_ws.WSMsgType.CLOSE and msg.data == 1009
        code, out, err = await run(url, "--compress", stdin=b"deflated\n")
        assert code == 0 and out == "< text 'deflated'\n", err
        logged = [(await asyncio.wait_for(proc.stderr.readline(), 10)).decode() for _ in range(4)]
        assert "connected: / (subprotocol: None)" in logged[0] and "closed: 1009" in logged[1], logged
        assert "connected" in logged[2] and "closed: 1000 (OK)" in logged[3], logged


async def test_a_refusal_shows_the_servers_body(raw_server: Any) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 16\r\n\r\n"
                     b"403: no token\r\n\r")
        await writer.drain()

    server = await raw_server(script)
    code, out, err = await run(server.url)
    assert code == 1
    assert err.startswith("error: 403") and "no token" in err and "Traceback" not in err, err


async def test_on_a_terminal_lines_are_edited_and_recalled(our_server: str) -> None:
    """On a terminal (a pseudo-terminal here) the client prompts, edits lines
    with readline and keeps history: the Up arrow recalls the last line rather
    than sending the escape sequence, and a message that arrives is printed
    above the prompt. Ctrl-D closes with 1000."""
    import pty

    master, slave = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiohttp_ws", our_server, stdin=slave, stdout=slave, stderr=asyncio.subprocess.PIPE,
    )
    os.close(slave)
    loop = asyncio.get_running_loop()
    seen = b""

    async def read_until(marker: bytes, count: int = 1) -> None:
        nonlocal seen
        while seen.count(marker) < count:
            try:
                chunk = await asyncio.wait_for(loop.run_in_executor(None, os.read, master, 4096), 20)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk

    try:
        await read_until(b"> ")
        os.write(master, b"hello\r")
        await read_until(b"< text 'hello'")
        os.write(master, b"\x1b[A\r")  # Up arrow, Enter: the same line again
        await read_until(b"< text 'hello'", 2)
        os.write(master, b"\x04")  # Ctrl-D on an empty line
        assert proc.stderr is not None
        err = await asyncio.wait_for(proc.stderr.read(), 20)
        await asyncio.wait_for(proc.wait(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        os.close(master)
    assert proc.returncode == 0, err
    assert seen.count(b"< text 'hello'") == 2 and b"\\x1b" not in seen, seen
    assert b"closed: 1000 (OK)" in err


async def test_serve_and_client_over_http2() -> None:
    """'serve --http2' takes RFC 8441 streams; the client's
    --http2-prior-knowledge uses them (a line per connection says so)."""
    pytest.importorskip("h2")
    async with served("--http2") as (_, url):
        assert url.startswith("ws://")
        code, out, err = await run(url, "--http2-prior-knowledge", stdin=b"over h2\n")
        assert code == 0, err
        assert out.splitlines() == ["< text 'over h2'"]
        async with aiohttp_ws.ws_connect(url, http2="prior-knowledge") as ws:
            assert ws.get_extra_info("http2")
            await ws.send_str("again")
            assert await ws.receive_str() == "again"


async def test_json_pretty_prints_json_messages_only(our_server: str) -> None:
    code, out, err = await run(our_server, "--json", stdin=b'{"a": [1, 2], "b": "\\u00e9"}\nplain text\n')
    assert code == 0, err
    assert out.splitlines() == ['< json {', '  "a": [', '    1,', '    2', '  ],', '  "b": "\u00e9"', '}', "< text 'plain text'"]


async def test_serve_with_tls_subprotocols_and_heartbeat(tmp_path: Any) -> None:
    """serve --cert/--key listens on wss://, --protocol picks the subprotocol,
    --heartbeat pings idle clients; the per-connection line says so."""
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    async with served(
        "--cert", str(tmp_path / "cert.pem"), "--key", str(tmp_path / "key.pem"),
        "--protocol", "v2", "--protocol", "v1", "--heartbeat", "0.2",
    ) as (proc, url):
        assert proc.stderr is not None and url.startswith("wss://")
        context = ssl.create_default_context()
        ca.configure_trust(context)
        async with aiohttp_ws.ws_connect(url, ssl=context, protocols=["v1", "v2"], autoping=False) as ws:
            assert ws.protocol == "v2"  # the server's order of preference
            ping = await ws.receive(timeout=5)  # the server's heartbeat, seen with autoping off
            assert ping.type is aiohttp_ws.WSMsgType.PING
            await ws.pong(ping.data)
            await ws.send_str("secure")
            assert await ws.receive_str(timeout=5) == "secure"
        connected = (await asyncio.wait_for(proc.stderr.readline(), 5)).decode()
        assert "connected" in connected and "subprotocol: v2" in connected
