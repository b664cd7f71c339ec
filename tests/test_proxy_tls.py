"""Proxies (a real pproxy process, with and without auth, plain and TLS),
TLS to the origin inside the tunnel, certificate pinning, and redirect
downgrades, with trustme certificates."""

from __future__ import annotations

import hashlib
import pathlib
import ssl
import subprocess
import sys
from typing import AsyncIterator, Iterator

import pytest
import trustme

import aiohttp_ws

from .http_peer import HttpPeer, running_peer
from .ports import free_port

# pproxy picks uvloop when it is installed and then fails on uvloop's
# get_event_loop; it runs on asyncio's own loop here.
LAUNCH = "import sys; sys.modules['uvloop'] = None; from pproxy.server import main; sys.argv[0] = 'pproxy'; main()"


class Proxy:
    def __init__(self, listen: str, *extra: str) -> None:
        self.port = free_port()
        uri = listen.format(port=self.port)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "-l", uri, *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert self.proc.stdout is not None
        seen = []
        for _ in range(20):  # warnings may come first
            line = self.proc.stdout.readline()
            seen.append(line)
            if "Serving on" in line or not line:
                break
        assert "Serving on" in seen[-1], seen

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()
        assert self.proc.stdout is not None
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def cert_files(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    cert = ca.issue_cert("localhost", "127.0.0.1")
    d = tmp_path_factory.mktemp("proxy-cert")
    cert.cert_chain_pems[0].write_to_path(str(d / "cert.pem"))
    cert.private_key_pem.write_to_path(str(d / "key.pem"))
    return str(d / "cert.pem"), str(d / "key.pem")


@pytest.fixture(scope="module")
def proxy() -> Iterator[Proxy]:
    p = Proxy("http://127.0.0.1:{port}")
    yield p
    p.stop()


@pytest.fixture(scope="module")
def auth_proxy() -> Iterator[Proxy]:
    p = Proxy("http://127.0.0.1:{port}#user:secret")
    yield p
    p.stop()


@pytest.fixture(scope="module")
def tls_proxy(cert_files: tuple[str, str]) -> Iterator[Proxy]:
    p = Proxy("http+ssl://127.0.0.1:{port}", "--ssl", ",".join(cert_files))
    yield p
    p.stop()


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(ctx)
    return ctx


@pytest.fixture
async def peer() -> AsyncIterator[HttpPeer]:
    async for p in running_peer():
        yield p


@pytest.fixture
async def tls_peer(ca: trustme.CA) -> AsyncIterator[HttpPeer]:
    async for p in running_peer("localhost", server_context(ca, "localhost", "127.0.0.1")):
        yield p


async def echo_once(ws: aiohttp_ws.ClientWebSocketResponse, text: str) -> str:
    await ws.send_str(text)
    return await ws.receive_str()


async def test_ws_through_proxy(proxy: Proxy, peer: HttpPeer) -> None:
    async with aiohttp_ws.ClientSession() as session:
        async with session.ws_connect(peer.url("/ws", "ws"), proxy=f"http://127.0.0.1:{proxy.port}") as ws:
            assert await echo_once(ws, "tunnelled") == "tunnelled"
        async with session.get(peer.url("/echo"), proxy=f"http://127.0.0.1:{proxy.port}") as resp:
            assert (await resp.json())["method"] == "GET"


async def test_proxy_auth_only_on_connect(auth_proxy: Proxy, peer: HttpPeer) -> None:
    url = peer.url("/ws", "ws")
    proxy_url = f"http://127.0.0.1:{auth_proxy.port}"
    with pytest.raises(aiohttp_ws.ClientHttpProxyError) as info:
        await aiohttp_ws.ws_connect(url, proxy=proxy_url)
    assert info.value.status == 407 and info.value.headers is not None
    assert isinstance(info.value, aiohttp_ws.ClientResponseError)
    async with aiohttp_ws.ws_connect(url, proxy=proxy_url, proxy_auth=aiohttp_ws.BasicAuth("user", "secret")) as ws:
        assert await echo_once(ws, "a") == "a"
    async with aiohttp_ws.ws_connect(url, proxy=f"http://user:secret@127.0.0.1:{auth_proxy.port}") as ws:
        assert await echo_once(ws, "b") == "b"
    # a Proxy-Authorization request header goes on the CONNECT request, not to the origin
    basic = aiohttp_ws.BasicAuth("user", "secret").encode()
    async with aiohttp_ws.ws_connect(url, proxy=proxy_url, headers={"Proxy-Authorization": basic}) as ws:
        assert await echo_once(ws, "c") == "c"
    async with aiohttp_ws.ClientSession(proxy=proxy_url, proxy_auth=aiohttp_ws.BasicAuth("user", "secret")) as session:
        async with session.get(peer.url("/echo")) as resp:
            assert resp.status == 200
    assert len(peer.seen) == 4
    assert all("proxy-authorization" not in headers for _, headers in peer.seen)


async def test_wss_inside_the_tunnel_verifies_the_origin(ca: trustme.CA, proxy: Proxy, tls_peer: HttpPeer) -> None:
    proxy_url = f"http://127.0.0.1:{proxy.port}"
    connector = aiohttp_ws.TCPConnector(ssl=trusting(ca))
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        async with session.ws_connect(tls_peer.url("/ws", "wss"), proxy=proxy_url) as ws:
            assert await echo_once(ws, "secret") == "secret"
            assert ws.get_extra_info("peercert")["subjectAltName"][0] == ("DNS", "localhost")
        async with session.get(tls_peer.url("/echo"), proxy=proxy_url) as resp:
            assert resp.status == 200
    with pytest.raises(aiohttp_ws.ClientConnectorCertificateError):  # default trust store: the CA is unknown
        await aiohttp_ws.ws_connect(tls_peer.url("/ws", "wss"), proxy=proxy_url)


async def test_https_proxy_tls_in_tls(ca: trustme.CA, tls_proxy: Proxy, peer: HttpPeer, tls_peer: HttpPeer) -> None:
    connector = aiohttp_ws.TCPConnector(ssl=trusting(ca))
    proxy_url = f"https://localhost:{tls_proxy.port}"
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        async with session.ws_connect(peer.url("/ws", "ws"), proxy=proxy_url) as ws:
            assert await echo_once(ws, "tls to the proxy") == "tls to the proxy"
        async with session.ws_connect(tls_peer.url("/ws", "wss"), proxy=proxy_url) as ws:
            assert await echo_once(ws, "tls in tls") == "tls in tls"


async def test_proxy_unreachable(peer: HttpPeer) -> None:
    with pytest.raises(aiohttp_ws.ClientProxyConnectionError) as info:
        await aiohttp_ws.ws_connect(peer.url("/ws", "ws"), proxy=f"http://127.0.0.1:{free_port()}")
    assert isinstance(info.value, aiohttp_ws.ClientConnectorError)


async def test_trust_env_proxies_no_proxy_and_netrc(
    auth_proxy: Proxy, peer: HttpPeer, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    for name in ("http_proxy", "https_proxy", "ws_proxy", "wss_proxy", "no_proxy", "HTTP_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login user password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("ws_proxy", f"http://127.0.0.1:{auth_proxy.port}")
    async with aiohttp_ws.ClientSession(trust_env=True) as session:
        async with session.ws_connect(peer.url("/ws", "ws")) as ws:
            assert await echo_once(ws, "env") == "env"
    async with aiohttp_ws.ClientSession() as session:  # trust_env off: direct
        async with session.ws_connect(peer.url("/ws", "ws")) as ws:
            assert await echo_once(ws, "direct") == "direct"
    monkeypatch.setenv("ws_proxy", f"http://127.0.0.1:{free_port()}")  # a dead proxy ...
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # ... that no_proxy bypasses
    async with aiohttp_ws.ClientSession(trust_env=True) as session:
        async with session.ws_connect(peer.url("/ws", "ws")) as ws:
            assert await echo_once(ws, "bypassed") == "bypassed"
    monkeypatch.delenv("no_proxy")
    async with aiohttp_ws.ClientSession(trust_env=True) as session:
        with pytest.raises(aiohttp_ws.ClientProxyConnectionError):
            await session.ws_connect(peer.url("/ws", "ws"))


async def test_fingerprint_pinning(ca: trustme.CA, tls_peer: HttpPeer) -> None:
    der = ssl.PEM_cert_to_DER_cert(ca.issue_cert("localhost").cert_chain_pems[0].bytes().decode())
    async with aiohttp_ws.ClientSession() as session:
        # the peer's own certificate, read once without verification
        async with session.ws_connect(tls_peer.url("/ws", "wss"), ssl=False) as ws:
            peer_der = ws.get_extra_info("ssl_object").getpeercert(binary_form=True)
        pinned = aiohttp_ws.Fingerprint(hashlib.sha256(peer_der).digest())
        async with session.ws_connect(tls_peer.url("/ws", "wss"), ssl=pinned) as ws:
            assert await echo_once(ws, "pinned") == "pinned"
        async with session.get(tls_peer.url("/echo"), ssl=pinned) as resp:
            assert resp.status == 200
        wrong = aiohttp_ws.Fingerprint(hashlib.sha256(der).digest())
        with pytest.raises(aiohttp_ws.ServerFingerprintMismatch) as info:
            await session.ws_connect(tls_peer.url("/ws", "wss"), ssl=wrong)
        assert info.value.got == hashlib.sha256(peer_der).digest()
    with pytest.raises(ValueError):
        aiohttp_ws.Fingerprint(hashlib.sha1(der).digest())


async def test_self_signed_and_wrong_host(ca: trustme.CA) -> None:
    other_ca = trustme.CA()
    async for p in running_peer("localhost", server_context(other_ca, "localhost")):
        with pytest.raises(aiohttp_ws.ClientConnectorCertificateError):
            await aiohttp_ws.request("GET", p.url("/echo"), connector=aiohttp_ws.TCPConnector(ssl=trusting(ca)))
        async with aiohttp_ws.request("GET", p.url("/echo"), ssl=False) as resp:
            assert resp.status == 200
    async for p in running_peer("localhost", server_context(ca, "elsewhere.example")):
        with pytest.raises(aiohttp_ws.ClientConnectorCertificateError):
            await aiohttp_ws.ws_connect(p.url("/ws", "wss"), ssl=trusting(ca))
        async with aiohttp_ws.ws_connect(p.url("/ws", "wss"), ssl=trusting(ca), server_hostname="elsewhere.example") as ws:
            assert await echo_once(ws, "sni") == "sni"


async def test_redirect_downgrade_refused(ca: trustme.CA, tls_peer: HttpPeer, peer: HttpPeer) -> None:
    connector = aiohttp_ws.TCPConnector(ssl=trusting(ca))
    async with aiohttp_ws.ClientSession(connector=connector) as session:
        with pytest.raises(aiohttp_ws.InsecureRedirectError):
            await session.get(tls_peer.url("/to"), params={"url": peer.url("/echo")})
        with pytest.raises(aiohttp_ws.InsecureRedirectError) as info:
            await session.ws_connect(tls_peer.url("/to", "wss"), params={"url": peer.url("/ws", "ws")})
        assert isinstance(info.value, aiohttp_ws.InvalidUrlRedirectClientError)
        # an upgrade is fine
        async with session.get(peer.url("/to"), params={"url": tls_peer.url("/echo")}) as resp:
            assert resp.status == 200 and resp.url.scheme == "https"
    assert not any(path == "/echo" for path, _ in peer.seen)


# -- the command line's --proxy, http_proxy, --ca, --cert/--key (a subprocess) ---------------


async def cli(*args: str, env: dict[str, str] | None = None, stdin: bytes = b"tls and proxies\n") -> tuple[int, str, str]:
    import asyncio
    import os

    base = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiohttp_ws", *args, env={**base, **(env or {})},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_proxy_flag_and_environment(peer: HttpPeer) -> None:
    """--proxy and http_proxy both reach the origin through the proxy: the
    proxy demands credentials, so a run that went through it without them
    gets its 407, and only runs that went through it with them succeed. (A
    fresh proxy: pproxy admits an address for a while once it authenticated.)"""
    auth_proxy = Proxy("http://127.0.0.1:{port}#user:secret")
    try:
        url = peer.url("/ws", "ws")
        code, out, err = await cli(url, env={"http_proxy": f"http://127.0.0.1:{auth_proxy.port}"})
        assert code == 1 and "407" in err, err
        code, out, err = await cli(url, "--proxy", f"http://127.0.0.1:{auth_proxy.port}")
        assert code == 1 and "407" in err, err
        with_auth = f"http://user:secret@127.0.0.1:{auth_proxy.port}"
        code, out, err = await cli(url, env={"http_proxy": with_auth})
        assert (code, out) == (0, "< text 'tls and proxies'\n"), err
        code, out, err = await cli(url, "--proxy", with_auth)
        assert (code, out) == (0, "< text 'tls and proxies'\n"), err
        assert len(peer.seen) == 2
    finally:
        auth_proxy.stop()


async def test_cli_ca_file(ca: trustme.CA, tls_peer: HttpPeer, tmp_path: pathlib.Path) -> None:
    url = tls_peer.url("/ws", "wss")
    code, out, err = await cli(url)
    assert code == 1 and "certificate" in err.lower(), err  # not in the system's trust store
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    code, out, err = await cli(url, "--ca", str(tmp_path / "ca.pem"))
    assert (code, out) == (0, "< text 'tls and proxies'\n"), err


async def test_cli_client_certificate(ca: trustme.CA, tmp_path: pathlib.Path) -> None:
    """A server that requires a client certificate (signed by its CA) admits
    the CLI with --cert/--key and refuses it without."""
    context = server_context(ca, "localhost", "127.0.0.1")
    context.verify_mode = ssl.CERT_REQUIRED
    ca.configure_trust(context)
    client = ca.issue_cert("cli-client")
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "client.pem"))
    client.private_key_pem.write_to_path(str(tmp_path / "client.key"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    async for tls in running_peer("localhost", context):
        url = tls.url("/ws", "wss")
        code, out, err = await cli(url, "--ca", str(tmp_path / "ca.pem"))
        assert code == 1, (out, err)
        code, out, err = await cli(
            url, "--ca", str(tmp_path / "ca.pem"), "--cert", str(tmp_path / "client.pem"), "--key", str(tmp_path / "client.key")
        )
        assert (code, out) == (0, "< text 'tls and proxies'\n"), err
