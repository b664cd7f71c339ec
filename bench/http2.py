"""WebSockets over HTTP/2 (RFC 8441) against HTTP/1.1, same server, same client.

    python bench/http2.py [--rounds 3] [--count 100] [--messages 5000]

The server is ours (``serve(echo_handler, http2=True)``, the same handler for
both versions), cleartext and TLS (a throwaway trustme CA), in its own process
on core 0; each measurement runs in a fresh client process on core 1. Cells:

- open N WebSockets to one origin at once (one session): wall time and this
  process's CPU time, TCP connections used, and the client's RSS growth per
  WebSocket once they are all open (idle memory);
- echo 64 B, one message in flight, on one WebSocket: CPU per message.

Client libraries: aiohttp_ws over HTTP/1.1 and over HTTP/2; aiohttp (HTTP/1.1
only) for the opening cell. Rounds are interleaved; the medians are printed
with the HTTP/1.1 / HTTP/2 ratios (above 1: HTTP/2 costs less).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from clients import cpu, rss_kib  # bench/clients.py: this process's CPU seconds and RSS

HERE = os.path.dirname(os.path.abspath(__file__))


def pinned(core: int) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(core)]
    return []


# -- the server process ----------------------------------------------------------------------


async def serve(certdir: str) -> None:
    import aiohttp_ws
    from aiohttp_ws.server import echo_handler

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(certdir, "cert.pem"), os.path.join(certdir, "key.pem"))
    async with aiohttp_ws.serve(echo_handler, http2=True, backlog=1024) as plain, aiohttp_ws.serve(
        echo_handler, http2=True, ssl=context, backlog=1024
    ) as tls:
        print(plain.port, tls.port, flush=True)
        await asyncio.Event().wait()


# -- one client measurement ---------------------------------------------------------------------


def client_context(certdir: str, alpn: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=os.path.join(certdir, "ca.pem"))
    if alpn:
        context.set_alpn_protocols(["h2", "http/1.1"])
    return context


async def open_many(lib: str, url: str, count: int, certdir: str) -> dict[str, Any]:
    tls = url.startswith("wss")
    if lib == "aiohttp":
        import aiohttp

        session: Any = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        kwargs: dict[str, Any] = {"ssl": client_context(certdir, False)} if tls else {}
    else:
        import aiohttp_ws

        mode: Any = False if lib == "aiohttp_ws-h1" else (True if tls else "prior-knowledge")
        session = aiohttp_ws.ClientSession(connector=aiohttp_ws.TCPConnector(limit=0), http2=mode)
        kwargs = {"ssl": client_context(certdir, mode is True)} if tls else {}
    before_rss = rss_kib()
    start_cpu, start = cpu(), time.perf_counter()
    sockets = await asyncio.gather(*(session.ws_connect(url, **kwargs) for _ in range(count)))
    wall, used = time.perf_counter() - start, cpu() - start_cpu
    grown = rss_kib() - before_rss
    tcp = len({ws.get_extra_info("sockname") if lib != "aiohttp" else ws._response.connection for ws in sockets})
    for i, ws in enumerate(sockets[:10]):
        await ws.send_str(f"check {i}")
        assert (await ws.receive()).data == f"check {i}"
    await asyncio.gather(*(ws.close() for ws in sockets))
    await session.close()
    return {"wall_ms": wall * 1000, "cpu_ms": used * 1000, "tcp": tcp, "kib_per_ws": grown / count}


async def echo(lib: str, url: str, messages: int, certdir: str) -> dict[str, Any]:
    import aiohttp_ws

    tls = url.startswith("wss")
    mode: Any = False if lib == "aiohttp_ws-h1" else (True if tls else "prior-knowledge")
    kwargs: dict[str, Any] = {"ssl": client_context(certdir, mode is True)} if tls else {}
    payload = os.urandom(64)
    async with aiohttp_ws.ClientSession(http2=mode) as session:
        async with session.ws_connect(url, **kwargs) as ws:
            assert bool(ws.get_extra_info("http2")) == (mode is not False)
            for _ in range(200):
                await ws.send_bytes(payload)
                await ws.receive_bytes()
            start_cpu = cpu()
            for _ in range(messages):
                await ws.send_bytes(payload)
                got = await ws.receive_bytes()
                assert len(got) == 64
            used = cpu() - start_cpu
            assert got == payload
    return {"us_per_msg": used / messages * 1e6}


def child(args: list[str]) -> None:
    cell, lib, url, n, certdir = args
    func = open_many if cell == "open" else echo
    print(json.dumps(asyncio.run(func(lib, url, int(n), certdir))), flush=True)


# -- the driver --------------------------------------------------------------------------------


CELLS = [
    ("open", "aiohttp_ws-h1", False),
    ("open", "aiohttp_ws-h2", False),
    ("open", "aiohttp", False),
    ("open", "aiohttp_ws-h1", True),
    ("open", "aiohttp_ws-h2", True),
    ("open", "aiohttp", True),
    ("echo", "aiohttp_ws-h1", False),
    ("echo", "aiohttp_ws-h2", False),
    ("echo", "aiohttp_ws-h1", True),
    ("echo", "aiohttp_ws-h2", True),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=100, help="WebSockets opened at once")
    parser.add_argument("--messages", type=int, default=5000, help="echoes per echo cell")
    args = parser.parse_args()
    import trustme

    certdir = tempfile.mkdtemp(prefix="aiohttp_ws-h2bench-")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(os.path.join(certdir, "ca.pem"))
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(os.path.join(certdir, "cert.pem"))
    cert.private_key_pem.write_to_path(os.path.join(certdir, "key.pem"))
    server = subprocess.Popen(pinned(0) + [sys.executable, __file__, "--serve", certdir], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    plain_port, tls_port = server.stdout.readline().split()
    results: dict[tuple[str, str, bool], list[dict[str, Any]]] = {}
    try:
        for _ in range(args.rounds):
            for cell, lib, tls in CELLS:
                url = f"wss://127.0.0.1:{tls_port}/" if tls else f"ws://127.0.0.1:{plain_port}/"
                n = args.count if cell == "open" else args.messages
                cmd = pinned(1) + [sys.executable, __file__, "--child", cell, lib, url, str(n), certdir]
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
                if done.returncode != 0:
                    print(f"{cell} {lib} tls={tls}: failed: {done.stderr.strip()[-400:]}", file=sys.stderr)
                    continue
                results.setdefault((cell, lib, tls), []).append(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        server.terminate()
        server.wait()
    report(results, args)


def report(results: dict[tuple[str, str, bool], list[dict[str, Any]]], args: argparse.Namespace) -> None:
    def med(key: tuple[str, str, bool], field: str) -> float:
        return statistics.median(r[field] for r in results.get(key, [{field: float("nan")}]))

    print(f"\nopen {args.count} WebSockets to one origin at once (medians of {args.rounds} rounds)\n")
    print("| transport | client | wall ms | CPU ms | TCP connections | client KiB per WebSocket |")
    print("|---|---|---|---|---|---|")
    for tls in (False, True):
        for lib in ("aiohttp_ws-h1", "aiohttp_ws-h2", "aiohttp"):
            key = ("open", lib, tls)
            print(f"| {'TLS' if tls else 'cleartext'} | {lib} | {med(key, 'wall_ms'):.1f} | {med(key, 'cpu_ms'):.1f} "
                  f"| {med(key, 'tcp'):.0f} | {med(key, 'kib_per_ws'):.1f} |")
        h1, h2 = ("open", "aiohttp_ws-h1", tls), ("open", "aiohttp_ws-h2", tls)
        print(f"| {'TLS' if tls else 'cleartext'} | HTTP/1.1 ÷ HTTP/2 | {med(h1, 'wall_ms') / med(h2, 'wall_ms'):.2f} "
              f"| {med(h1, 'cpu_ms') / med(h2, 'cpu_ms'):.2f} | | {med(h1, 'kib_per_ws') / max(med(h2, 'kib_per_ws'), 0.01):.2f} |")
    print(f"\necho 64 B, one in flight, {args.messages} messages: client CPU µs per message\n")
    print("| transport | HTTP/1.1 | HTTP/2 | HTTP/1.1 ÷ HTTP/2 |")
    print("|---|---|---|---|")
    for tls in (False, True):
        h1 = med(("echo", "aiohttp_ws-h1", tls), "us_per_msg")
        h2 = med(("echo", "aiohttp_ws-h2", tls), "us_per_msg")
        print(f"| {'TLS' if tls else 'cleartext'} | {h1:.1f} | {h2:.1f} | {h1 / h2:.2f} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        asyncio.run(serve(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
