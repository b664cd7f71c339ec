"""wss:// with your own CA, a client certificate, and certificate pinning.

    python -m pip install trustme   # only to make a throwaway CA for this demo
    python examples/tls.py

Starts a local wss:// server whose certificate comes from a private CA and
which requires a client certificate from the same CA. The client trusts
that CA (an ``ssl.SSLContext`` passed as ``ssl=``), presents its own
certificate, and then pins the server's certificate by its SHA-256 digest
(``aiohttp_ws.Fingerprint``, as aiohttp's) instead of trusting a CA at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl

import trustme

import aiohttp_ws


async def main() -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    server_ctx.verify_mode = ssl.CERT_REQUIRED  # clients must show a certificate from our CA
    ca.configure_trust(server_ctx)

    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)  # trust our CA (for a file: load_verify_locations(cafile=...))
    ca.issue_cert("demo-client").configure_cert(client_ctx)  # (for files: load_cert_chain(cert, key))

    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, "127.0.0.1", 0, ssl=server_ctx) as server:
        url = f"wss://127.0.0.1:{server.port}/"
        async with aiohttp_ws.ws_connect(url, ssl=client_ctx) as ws:
            await ws.send_str("trusted by our CA")
            print("echo:", await ws.receive_str())

    # Pinning: verification by the digest of the certificate the server
    # presents instead of a CA (aiohttp's ``ssl=Fingerprint(...)``; no client
    # certificate can go with it, so against a server that asks for none).
    plain_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(plain_ctx)
    async with aiohttp_ws.serve(aiohttp_ws.server.echo_handler, "127.0.0.1", 0, ssl=plain_ctx) as server:
        url = f"wss://127.0.0.1:{server.port}/"
        async with aiohttp_ws.ws_connect(url, ssl=client_ctx) as ws:  # learn the digest once
            der = ws.get_extra_info("ssl_object").getpeercert(binary_form=True)
        fingerprint = aiohttp_ws.Fingerprint(hashlib.sha256(der).digest())
        async with aiohttp_ws.ws_connect(url, ssl=fingerprint) as ws:
            await ws.send_str("pinned by fingerprint")
            print("echo:", await ws.receive_str())
        wrong = aiohttp_ws.Fingerprint(hashlib.sha256(b"another certificate").digest())
        try:
            await aiohttp_ws.ws_connect(url, ssl=wrong)
        except aiohttp_ws.ServerFingerprintMismatch:
            print("a wrong fingerprint is refused: ServerFingerprintMismatch")


if __name__ == "__main__":
    asyncio.run(main())
