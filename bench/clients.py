"""One benchmark measurement in this process; prints one JSON line.

    python bench/clients.py LIB LOOP SCENARIO SIZE COUNT URL

LIB: aiohttp_ws, aiohttp, websockets, picows (its fastest style: the next
message is sent from the frame callback), picows_await (picows behind the same
awaitable send/recv as the others: a future per recv), picows_plain (picows_await
on the loop's own transport instead of aiofastnet's), or baseline (no library:
bench/baseline.py, a bare BufferedProtocol sending pre-masked frames). LOOP: asyncio or uvloop.
SCENARIO: echo-bytes, echo-text (one message in flight), pipeline (window of
128 messages in flight), handshake (connect + close), memory (COUNT idle
connections). The timed phase is measured as wall time and as this process's
user+sys CPU time; every 64th echo is compared byte for byte and every echo's
length is checked, so a broken client cannot report speed.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import resource
import sys
import time
from typing import Any, Awaitable, Callable

import baseline

WINDOW = 128


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Conn:
    """send(payload), recv() -> payload, close(): the same for every library."""

    send: Callable[[Any], Awaitable[None]]
    recv: Callable[[], Awaitable[Any]]
    close: Callable[[], Awaitable[Any]]


#: Set for the compressed cells (scenario ``echo-json``): every client offers
#: permessage-deflate as its users turn it on.
DEFLATE = False


async def connect_aiohttp_ws(url: str) -> Conn:
    import aiohttp_ws

    ws = await aiohttp_ws.ws_connect(url, max_msg_size=0, compress=15 if DEFLATE else 0)
    conn = Conn()
    conn.send = lambda p: ws.send_bytes(p) if isinstance(p, bytes) else ws.send_str(p)

    async def recv() -> Any:
        return (await ws.receive()).data

    conn.recv, conn.close = recv, ws.close
    return conn


async def connect_aiohttp(url: str) -> Conn:
    import aiohttp

    session = aiohttp.ClientSession()
    ws = await session.ws_connect(url, max_msg_size=0, compress=15 if DEFLATE else 0)
    conn = Conn()
    conn.send = lambda p: ws.send_bytes(p) if isinstance(p, bytes) else ws.send_str(p)

    async def recv() -> Any:
        return (await ws.receive()).data

    async def close() -> None:
        await ws.close()
        await session.close()

    conn.recv, conn.close = recv, close
    return conn


async def connect_websockets(url: str) -> Conn:
    from websockets.asyncio.client import connect

    ws = await connect(url, max_size=None, compression="deflate" if DEFLATE else None)
    conn = Conn()
    conn.send, conn.recv, conn.close = ws.send, ws.recv, ws.close
    return conn


class PicowsConn(Conn):
    """picows through its callback API, as its users write it: a listener
    whose on_ws_frame resolves a future (only for the generic scenarios)."""

    def __init__(self, use_aiofastnet: bool | None = None) -> None:
        from picows import WSListener

        self.use_aiofastnet = use_aiofastnet
        self.waiters: list[asyncio.Future[Any]] = []
        self.inbox: list[Any] = []
        outer = self

        class Listener(WSListener):  # type: ignore[misc]
            def on_ws_frame(self, transport: Any, frame: Any) -> None:
                from picows import WSMsgType

                if frame.msg_type == WSMsgType.TEXT:
                    data: Any = frame.get_payload_as_utf8_text()
                elif frame.msg_type == WSMsgType.BINARY:
                    data = frame.get_payload_as_bytes()
                else:
                    return
                if outer.waiters:
                    outer.waiters.pop(0).set_result(data)
                else:
                    outer.inbox.append(data)

        self.listener_cls = Listener

    async def start(self, url: str) -> None:
        from picows import WSMsgType, ws_connect

        self.transport, _ = await ws_connect(
            self.listener_cls, url, max_frame_size=64 * 1024 * 1024, use_aiofastnet=self.use_aiofastnet
        )

        async def send(p: Any) -> None:
            if isinstance(p, bytes):
                self.transport.send(WSMsgType.BINARY, p)
            else:
                self.transport.send(WSMsgType.TEXT, p.encode())

        async def recv() -> Any:
            if self.inbox:
                return self.inbox.pop(0)
            fut = asyncio.get_running_loop().create_future()
            self.waiters.append(fut)
            return await fut

        async def close() -> None:
            self.transport.send_close()
            await self.transport.wait_disconnected()

        self.send, self.recv, self.close = send, recv, close


async def connect_picows(url: str) -> Conn:
    conn = PicowsConn()
    await conn.start(url)
    return conn


async def connect_picows_plain(url: str) -> Conn:
    conn = PicowsConn(use_aiofastnet=False)
    await conn.start(url)
    return conn


CONNECT = {
    "aiohttp_ws": connect_aiohttp_ws,
    "aiohttp": connect_aiohttp,
    "websockets": connect_websockets,
    "picows": connect_picows,
    # picows behind the same awaitable send/recv as every other library (a
    # future per recv), where the "picows" column sends from its callback.
    "picows_await": connect_picows,
    # picows_await on the event loop's own transport (picows uses aiofastnet's
    # compiled transport when it is installed): bench/instructions.py only,
    # to tell the transport's share of a difference from the library's.
    "picows_plain": connect_picows_plain,
}


def check(got: Any, want: Any, i: int) -> None:
    if len(got) != len(want) or (i % 64 == 0 and got != want):
        raise SystemExit(f"echo {i} differs from what was sent")


async def echo(conn: Conn, payload: Any, count: int) -> None:
    for i in range(count):
        await conn.send(payload)
        check(await conn.recv(), payload, i)


async def pipeline(conn: Conn, payload: Any, count: int) -> None:
    for _ in range(WINDOW):
        await conn.send(payload)
    for i in range(count):
        check(await conn.recv(), payload, i)
        if i + WINDOW < count:
            await conn.send(payload)


async def picows_echo_callbacks(url: str, payload: bytes, count: int, window: int) -> tuple[float, float]:
    """picows at its fastest: the listener sends the next message from on_ws_frame."""
    from picows import WSListener, WSMsgType, ws_connect

    loop = asyncio.get_running_loop()
    done = loop.create_future()

    class Listener(WSListener):  # type: ignore[misc]
        received = 0
        sent = 0

        def on_ws_connected(self, transport: Any) -> None:
            self.transport = transport

        def go(self) -> None:
            for _ in range(window):
                self.transport.send(WSMsgType.BINARY, payload)
                self.sent += 1

        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            if frame.msg_type != WSMsgType.BINARY:
                return
            data = frame.get_payload_as_bytes()
            check(data, payload, self.received)
            self.received += 1
            if self.sent < count:
                transport.send(WSMsgType.BINARY, payload)
                self.sent += 1
            elif self.received == count and not done.done():
                done.set_result(None)

    transport, listener = await ws_connect(Listener, url, max_frame_size=64 * 1024 * 1024)
    cpu0, wall0 = cpu(), time.perf_counter()
    listener.go()
    await done
    result = cpu() - cpu0, time.perf_counter() - wall0
    transport.send_close()
    await transport.wait_disconnected()
    return result


async def baseline_echo(url: str, payload: Any, count: int, window: int) -> tuple[float, float]:
    transport, proto, done, go = await baseline.echo(url, payload, count, window, check)
    cpu0, wall0 = cpu(), time.perf_counter()
    go()
    await done
    result = cpu() - cpu0, time.perf_counter() - wall0
    await baseline.close(transport, proto)
    return result


async def connect_baseline(url: str) -> Conn:
    transport, proto = await baseline.connect(url, lambda opcode, data: None)
    conn = Conn()

    async def close() -> None:
        await baseline.close(transport, proto)

    conn.close = close
    return conn


CONNECT["baseline"] = connect_baseline


def warmup(lib: str, scenario: str, count: int) -> int:
    """Messages echoed before the timed phase (bench/instructions.py counts them too)."""
    if lib == "picows" and scenario in ("echo-bytes", "pipeline"):
        return max(count // 10, 10)
    return max(count // 10, WINDOW + 1)


def json_payload(size: int) -> str:
    """About *size* bytes of JSON as services send it (market data records),
    the same in every run."""
    rng = random.Random(6455)
    records: list[dict[str, Any]] = []
    text = "[]"
    while len(text) < size:
        records.append(
            {
                "id": len(records),
                "symbol": rng.choice(["BTC-USD", "ETH-USD", "SOL-USD", "EUR-USD", "AAPL", "MSFT"]),
                "side": rng.choice(["buy", "sell"]),
                "price": round(rng.uniform(10, 70000), 2),
                "size": round(rng.expovariate(0.5), 6),
                "ts": 1_780_000_000_000 + rng.randrange(10**6),
                "venue": rng.choice(["XNAS", "XNYS", "BATS", "EDGX"]),
            }
        )
        text = json.dumps(records)
    return text[:size] if len(text) == size else json.dumps(records[:-1])


async def measure(lib: str, scenario: str, size: int, count: int, url: str) -> dict[str, float]:
    global DEFLATE
    if scenario == "echo-json":
        DEFLATE, scenario = True, "echo-text"
        payload: Any = json_payload(size)
    elif scenario == "echo-text":
        payload = "é" * (size // 2)
    else:
        payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    if lib == "baseline" and scenario != "memory" and scenario != "handshake":
        window = WINDOW if scenario == "pipeline" else 1
        await baseline_echo(url, payload, warmup(lib, scenario, count), window)
        spent, wall = await baseline_echo(url, payload, count, window)
        return {"cpu": spent, "wall": wall, "ops": count}
    if scenario == "memory":
        return await idle_memory(lib, count, url)
    if scenario == "handshake":
        conn = await CONNECT[lib](url)
        await conn.close()
        cpu0, wall0 = cpu(), time.perf_counter()
        for _ in range(count):
            conn = await CONNECT[lib](url)
            await conn.close()
        return {"cpu": cpu() - cpu0, "wall": time.perf_counter() - wall0, "ops": count}
    if lib == "picows" and scenario in ("echo-bytes", "pipeline"):
        await picows_echo_callbacks(url, payload, warmup(lib, scenario, count), 1)
        spent, wall = await picows_echo_callbacks(url, payload, count, WINDOW if scenario == "pipeline" else 1)
        return {"cpu": spent, "wall": wall, "ops": count}
    conn = await CONNECT[lib](url)
    run = pipeline if scenario == "pipeline" else echo
    await run(conn, payload, warmup(lib, scenario, count))
    gc.collect()
    cpu0, wall0 = cpu(), time.perf_counter()
    await run(conn, payload, count)
    result = {"cpu": cpu() - cpu0, "wall": time.perf_counter() - wall0, "ops": count}
    await conn.close()
    return result


async def idle_memory(lib: str, count: int, url: str) -> dict[str, float]:
    conns = [await CONNECT[lib](url) for _ in range(10)]  # warm up imports and pools
    gc.collect()
    before = rss_kib()
    conns += [await CONNECT[lib](url) for _ in range(count)]
    gc.collect()
    after = rss_kib()
    for conn in conns:
        await conn.close()
    return {"kib_per_conn": (after - before) / count, "ops": count}


def main() -> None:
    lib, loop_name, scenario, size, count, url = sys.argv[1:7]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    coro = measure(lib, scenario, int(size), int(count), url)
    if loop_name == "uvloop":
        import uvloop

        result = uvloop.run(coro)
    else:
        result = asyncio.run(coro)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
