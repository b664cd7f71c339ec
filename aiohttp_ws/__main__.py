"""Command line: ``python -m aiohttp_ws [URL] [options]`` and ``python -m aiohttp_ws serve``.

With no URL: start the embedded echo server on 127.0.0.1, exchange text,
binary and JSON messages and a ping with it, print a transcript with round
trip times, close with 1000. With a URL: an interactive client; each line of
standard input is sent as a text message, received messages are printed, and
end of input (Ctrl-D) closes with 1000.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import threading
import time
from typing import Any, Sequence

from . import HAS_EXTENSIONS, __version__
from .client import ClientSession
from .client_ws import ClientWebSocketResponse
from .exceptions import ClientError
from .models import WSCloseCode, WSMessage, WSMsgType
from .server import ServerWebSocket, echo_handler, serve

#: After end of input, wait until the peer has been quiet this long (seconds)
#: before closing, so replies to the last lines are printed.
QUIET_BEFORE_CLOSE = 0.3


#: The version and which hot path is live (AIOHTTP_WS_NO_EXTENSIONS=1 or no compiler: pure Python).
_VERSION = f"aiohttp_ws {__version__} ({'compiled' if HAS_EXTENSIONS else 'pure-Python'} hot path)"


class _Version(argparse.Action):
    """``--version``, reported lazily (it looks at the event loop and extras)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: str | None = None) -> None:
        print(_version_report())
        parser.exit()


def _version_report() -> str:
    """``--version``: the version, whether the compiled path is live, the
    Python and the event loop this process would run (uvloop if the policy
    says so), and whether the optional extras are importable."""
    loop = asyncio.new_event_loop()
    try:
        loop_name = f"{type(loop).__module__}.{type(loop).__name__}"
    finally:
        loop.close()
    extras = []
    for extra, module in (("http2", "h2"), ("socks", "python_socks"), ("anyio", "anyio")):
        try:
            __import__(module)
        except ImportError:
            continue
        extras.append(extra)
    return (
        f"{_VERSION}\nPython {sys.version.split()[0]} ({sys.implementation.name}), event loop {loop_name}\n"
        f"extras: {', '.join(extras) or 'none'}"
    )


def _ms(start: float) -> str:
    return f"{(time.perf_counter() - start) * 1000:.2f} ms"


def describe(msg: WSMessage, preview: int = 32, pretty_json: bool = False) -> str:
    """One line for a received message; binary as length plus hex preview.
    With *pretty_json*, a TEXT message that is JSON is shown indented (several lines)."""
    if msg.tp is WSMsgType.TEXT:
        if pretty_json:
            try:
                return "json " + json.dumps(json.loads(msg.data), indent=2, ensure_ascii=False)
            except ValueError:
                pass  # not JSON: shown as text
        return f"text {msg.data!r}"
    if msg.tp is WSMsgType.BINARY:
        data: bytes = msg.data
        more = " ..." if len(data) > preview else ""
        return f"binary {len(data)} bytes: {data[:preview].hex(' ')}{more}"
    if msg.tp is WSMsgType.CLOSE:
        return f"close {msg.data} {msg.extra!r}"
    if msg.tp is WSMsgType.ERROR:
        return f"error {msg.data!r}"
    return f"{msg.tp.name.lower()} {msg.data!r}"


def _close_name(code: int | None) -> str:
    try:
        return f"{code} ({WSCloseCode(code).name})" if code is not None else "none"
    except ValueError:
        return str(code)


async def demo() -> int:
    """The main job: talk to the embedded echo server and print a transcript."""
    async with serve(echo_handler, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{server.port}/"
        print(f"{_VERSION}: embedded echo server on {url}")
        async with ClientSession() as session:
            start = time.perf_counter()
            ws = await session.ws_connect(url, autoping=False)
            print(f"connected: opening handshake in {_ms(start)}")
            exchanges: list[tuple[str, Any]] = [
                ("text", "Hello, WebSocket!"),
                ("binary", bytes(range(16))),
                ("json", {"msg": "hi", "n": [1, 2, 3]}),
                ("ping", b"are you there?"),
            ]
            for kind, payload in exchanges:
                start = time.perf_counter()
                if kind == "text":
                    await ws.send_str(payload)
                elif kind == "binary":
                    await ws.send_bytes(payload)
                elif kind == "json":
                    await ws.send_json(payload)
                else:
                    await ws.ping(payload)
                reply = await ws.receive(timeout=5)
                rtt = _ms(start)
                print(f"> {kind:<6} {payload!r}")
                print(f"< {describe(reply)}   (round trip {rtt})")
                if kind == "json" and json.loads(reply.data) != payload:
                    raise RuntimeError("the JSON echo differs from what was sent")
            start = time.perf_counter()
            await ws.close()
            print(f"closed with {_close_name(ws.close_code)}: close handshake in {_ms(start)}")
    return 0 if ws.close_code == 1000 else 1


#: The prompt on a terminal (line editing and history through the readline module).
PROMPT = "> "


class Terminal:
    """The interactive client's output on a terminal: a message that arrives
    while a line is being typed is printed above it, and the prompt and the
    half-typed line are drawn again below (readline keeps them). Anywhere
    else (pipes, files) lines are plain. Restores the terminal's modes on
    ``restore()``, whatever readline was doing when the session ended."""

    def __init__(self) -> None:
        self.tty = sys.stdin.isatty() and sys.stdout.isatty()
        self._readline: Any = None
        self._modes: Any = None
        if self.tty:
            try:
                import readline  # noqa: F401  (input() edits lines and keeps history once it is imported)
                import termios

                self._readline = sys.modules["readline"]
                self._modes = termios.tcgetattr(sys.stdin.fileno())
            except (ImportError, OSError):
                pass

    def show(self, line: str) -> None:
        if self._readline is None:
            print(line, flush=True)
            return
        sys.stdout.write("\r\x1b[K" + line + "\n")  # over the prompt line, then the prompt again
        sys.stdout.flush()
        self._readline.redisplay()

    def restore(self) -> None:
        if self._modes is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._modes)
            sys.stdout.write("\r\x1b[K")
            sys.stdout.flush()


def _stdin_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None], terminal: Terminal) -> None:
    """Read stdin in a daemon thread: on a terminal with ``input()`` (prompt,
    line editing, history), else line by line (pipes and files)."""

    def reader() -> None:
        if terminal.tty:
            while True:
                try:
                    line = input(PROMPT)
                except EOFError:
                    break
                loop.call_soon_threadsafe(queue.put_nowait, line)
        else:
            for raw in sys.stdin:
                loop.call_soon_threadsafe(queue.put_nowait, raw.rstrip("\r\n"))
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=reader, name="aiohttp_ws-stdin", daemon=True).start()


async def _printer(
    ws: ClientWebSocketResponse[Any], state: dict[str, float], terminal: Terminal, pretty_json: bool = False
) -> bool:
    """Print what arrives until the end; whether that end was an ERROR it printed."""
    while True:
        msg = await ws.receive()
        if msg.tp is WSMsgType.CLOSING:
            continue  # our own close() began; keep printing what still arrives
        if msg.tp is WSMsgType.CLOSED:
            return False
        state["last"] = time.monotonic()
        terminal.show(f"< {describe(msg, pretty_json=pretty_json)}")
        if msg.tp is WSMsgType.PING:  # --show-ping-pong: autoping is off, answer here
            try:
                await ws.pong(msg.data)
            except ClientError:
                pass  # our close frame went first: no answer is due any more
        if msg.tp is WSMsgType.ERROR or msg.tp is WSMsgType.CLOSE:
            return msg.tp is WSMsgType.ERROR




async def interactive(args: argparse.Namespace) -> int:
    """wscat-like client: stdin lines out as text, messages printed."""
    headers = []
    for header in args.header:
        name, sep, value = header.partition(":")
        if not sep:
            raise SystemExit(f"--header must look like 'Name: value', got {header!r}")
        headers.append((name.strip(), value.strip()))
    async with ClientSession(trust_env=True) as session:  # http_proxy, https_proxy, no_proxy, all_proxy
        ws = await session.ws_connect(
            args.url,
            protocols=args.protocol,
            headers=headers,
            heartbeat=args.heartbeat,
            ssl=_ssl_option(args),
            max_msg_size=args.max_msg_size,
            compress=15 if args.compress else 0,
            proxy=args.proxy,
            autoping=not args.show_ping_pong,
            http2=args.http2,
        )
        loop = asyncio.get_running_loop()
        state = {"last": time.monotonic()}
        terminal = Terminal()
        printer = loop.create_task(_printer(ws, state, terminal, args.json))
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        _stdin_lines(loop, lines, terminal)
        # Ctrl-C (and SIGTERM) close with 1000 like the end of input, without
        # waiting for quiet: the peer gets a close frame, never a dropped socket.
        interrupted: asyncio.Future[None] = loop.create_future()

        def interrupt() -> None:
            if not interrupted.done():
                interrupted.set_result(None)

        handled = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, interrupt)
                handled.append(sig)
            except (NotImplementedError, RuntimeError):  # Windows' loops, or not the main thread
                pass
        print(f"connected to {args.url} (subprotocol: {ws.protocol}); Ctrl-D or Ctrl-C closes", file=sys.stderr)
        try:
            while not printer.done():
                get = asyncio.ensure_future(lines.get())
                waits: set[asyncio.Future[Any]] = {get, printer, interrupted}
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                if not get.done():
                    get.cancel()
                    if interrupted.done() and not printer.done():
                        await ws.close()
                    break
                line = get.result()
                if line is None:
                    await _quiet(state, printer)
                    await ws.close()
                    break
                if args.slash and line.startswith("/"):
                    if await _command(ws, line):
                        break
                    continue
                await ws.send_str(line)
            error_printed = await printer
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)
            terminal.restore()
        print(f"closed: {_close_name(ws.close_code)}", file=sys.stderr)
        if ws.exception() is not None and not error_printed:
            print(f"error: {ws.exception()!r}", file=sys.stderr)
    # 0 once a close handshake completed (whatever its code); 1 for an error or
    # a connection that ended without one (1006, RFC 6455 §7.1.5).
    return 1 if ws.exception() is not None or ws.close_code in (None, 1006) else 0


SLASH_HELP = "/ping [text], /pong [text], /binary HEX, /close [code [reason]]"


async def _command(ws: ClientWebSocketResponse[Any], line: str) -> bool:
    """Run one ``--slash`` command; whether it closed the connection."""
    name, _, rest = line[1:].partition(" ")
    try:
        if name == "ping":
            await ws.ping(rest.encode())
        elif name == "pong":
            await ws.pong(rest.encode())
        elif name == "binary":
            await ws.send_bytes(bytes.fromhex(rest))
        elif name == "close":
            code, _, reason = rest.strip().partition(" ")
            await ws.close(code=int(code) if code else 1000, message=reason.encode())
            return True
        else:
            print(f"unknown command /{name}: {SLASH_HELP}", file=sys.stderr)
    except ValueError as exc:  # bad hex, a code that may not be sent, a payload over 125 bytes
        print(f"/{name}: {exc}", file=sys.stderr)
    return False


def _ssl_option(args: argparse.Namespace) -> Any:
    """``ssl=`` for ws_connect: ``False`` with --insecure, a context with --ca
    and/or --cert/--key, else ``True`` (the system's trust store)."""
    if args.insecure:
        return False
    if not (args.ca or args.cert):
        return True
    context = ssl.create_default_context(cafile=args.ca)
    if args.cert:
        context.load_cert_chain(args.cert, args.key)
    if args.http2:
        context.set_alpn_protocols(["h2", "http/1.1"])  # our own context: offer HTTP/2 as the default ones do
    return context


async def _quiet(state: dict[str, float], printer: asyncio.Task[bool], limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while not printer.done() and time.monotonic() < deadline:
        idle = time.monotonic() - state["last"]
        if idle >= QUIET_BEFORE_CLOSE:
            return
        await asyncio.sleep(QUIET_BEFORE_CLOSE - idle)


async def _logged_echo(ws: ServerWebSocket) -> None:
    """The echo handler, with a line per connection on standard error."""
    peer = ws.remote
    where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
    print(f"{where} connected: {ws.request.target} (subprotocol: {ws.protocol})", file=sys.stderr, flush=True)
    try:
        await echo_handler(ws)
    finally:
        print(f"{where} closed: {_close_name(ws.close_code)}", file=sys.stderr, flush=True)


async def serve_forever(
    host: str,
    port: int,
    *,
    compress: bool = False,
    max_msg_size: int = 4 * 1024 * 1024,
    max_fragments: int = 4096,
    http2: bool = False,
    protocols: Sequence[str] = (),
    heartbeat: float | None = None,
    cert: str | None = None,
    key: str | None = None,
) -> int:
    """``serve``: the echo server on its own until interrupted; with *cert*
    (PEM, and *key* unless the file holds it) over TLS (``wss://``)."""
    options: dict[str, Any] = {
        "compress": compress, "max_msg_size": max_msg_size, "max_fragments": max_fragments, "http2": http2,
        "protocols": tuple(protocols), "heartbeat": heartbeat,
    }
    if cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        options["ssl"] = context
    async with serve(_logged_echo, host, port, **options) as server:
        print(f"echo server listening on {'wss' if cert else 'ws'}://{host}:{server.port}/", flush=True)
        # SIGTERM and Ctrl-C close every client with 1001 (going away), then exit 0.
        await server.serve_forever(stop_signals=(signal.SIGTERM, signal.SIGINT))
    return 0


def _prog() -> str:
    """How the user ran us: the ``aiohttp-ws`` script or ``python -m aiohttp_ws``."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return name if name.startswith("aiohttp-ws") else "python -m aiohttp_ws"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    prog = _prog()
    if argv and argv[0] == "serve":
        parser = argparse.ArgumentParser(prog=f"{prog} serve", description="Run the echo server.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
        parser.add_argument("--compress", action="store_true", help="accept permessage-deflate (RFC 7692)")
        parser.add_argument("--max-msg-size", type=int, default=4 * 1024 * 1024, help="bytes, 0 = no limit")
        parser.add_argument("--max-fragments", type=int, default=4096, help="frames per message, 0 = no limit")
        parser.add_argument("--http2", action="store_true",
                            help="also serve WebSockets over HTTP/2 (RFC 8441: h2c prior knowledge, ALPN h2 with --cert)")
        parser.add_argument("--protocol", action="append", default=[],
                            help="subprotocol to accept, in order of preference (repeatable)")
        parser.add_argument("--heartbeat", type=float, default=None, help="ping each client after this many idle seconds")
        parser.add_argument("--cert", metavar="FILE", help="serve TLS (wss://) with this certificate (PEM; may hold the key)")
        parser.add_argument("--key", metavar="FILE", help="the certificate's private key (PEM)")
        args = parser.parse_args(argv[1:])
        args.command = "serve"
        return args
    parser = argparse.ArgumentParser(
        prog=prog,
        usage=f"%(prog)s [URL] [options]\n       {prog} serve [--host H] [--port P] [--compress] [--max-msg-size N] [--max-fragments N] [--http2]\n                 [--protocol P] [--heartbeat S] [--cert FILE [--key FILE]]",
        description="Without URL: demo against the embedded echo server. With URL: interactive client. "
        "'serve' runs the echo server.",
    )
    parser.add_argument("url", nargs="?", help="ws:// or wss:// URL")
    parser.add_argument("--protocol", action="append", default=[], help="subprotocol to offer (repeatable)")
    parser.add_argument("--header", action="append", default=[], help="'Name: value' header (repeatable)")
    parser.add_argument("--heartbeat", type=float, default=None, help="ping after this many idle seconds")
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    parser.add_argument("--ca", metavar="FILE", help="trust the CA certificates in this PEM file")
    parser.add_argument("--cert", metavar="FILE", help="client certificate (PEM; may hold the key too)")
    parser.add_argument("--key", metavar="FILE", help="the client certificate's private key (PEM)")
    parser.add_argument("--proxy", metavar="URL", help="http://, socks5://... proxy (else http_proxy etc.)")
    parser.add_argument("--compress", action="store_true", help="offer permessage-deflate (RFC 7692)")
    parser.add_argument("-P", "--show-ping-pong", action="store_true", help="print pings and pongs received")
    parser.add_argument("--slash", action="store_true", help=f"lines starting with / are commands: {SLASH_HELP}")
    parser.add_argument("--max-msg-size", type=int, default=4 * 1024 * 1024, help="bytes, 0 = no limit")
    parser.add_argument("--http2", action="store_const", const=True, default=False,
                        help="WebSocket over HTTP/2 (RFC 8441) when a wss:// server offers it (ALPN h2)")
    parser.add_argument("--http2-prior-knowledge", dest="http2", action="store_const", const="prior-knowledge",
                        help="HTTP/2 without asking, also cleartext h2c for ws://")
    parser.add_argument("--json", action="store_true", help="show JSON text messages pretty-printed")
    parser.add_argument("--version", action=_Version, help="show the version, Python, event loop and extras; exit")
    args = parser.parse_args(argv)
    args.command = "client" if args.url else "demo"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "serve":
            return asyncio.run(serve_forever(args.host, args.port, compress=args.compress,
                                             max_msg_size=args.max_msg_size, max_fragments=args.max_fragments,
                                             http2=args.http2, protocols=args.protocol, heartbeat=args.heartbeat,
                                             cert=args.cert, key=args.key))
        if args.command == "demo":
            return asyncio.run(demo())
        return asyncio.run(interactive(args))
    except KeyboardInterrupt:
        return 130
    except (ClientError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
