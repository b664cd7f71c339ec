"""The names programs import from aiohttp's client, compared with ours.

The difference between aiohttp's client-side public names (top level and the
``client_exceptions``, ``client_ws``, ``hdrs``, ``http``, ``http_websocket``
modules; ``aiohttp.web`` is the server and not compared) and ours must be
exactly ``MISSING``: a new aiohttp name fails this test until it is built or
listed here with its reason.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import json
import warnings
from typing import Any

import aiohttp
import aiohttp.web
import pytest

import aiohttp_ws

SERVER = "server side (aiohttp.web and its workers), not part of a client"
PAYLOADS = "aiohttp's streaming payload system; request bodies here are bytes, str, forms (FormData) or json="
MULTIPART = "multipart reading/writing beyond FormData's request bodies"
CHUNK_TRACING = "per-chunk body signals: request bodies go out in one write and responses are read whole, so the session sends no chunk signals"
RESOLVERS = "pluggable DNS resolvers; TCPConnector resolves with the loop's getaddrinfo and its own DNS cache"
INTERNALS = "aiohttp's internal stream/parser/writer classes; ours are frames.py, protocol.py, http11.py with another API"
MIDDLEWARE = "client middlewares are not implemented; ClientSession(middlewares=[...]) raises NotImplementedError"

MISSING: dict[str, str] = {
    **dict.fromkeys(["GunicornUVLoopWebWorker", "GunicornWebWorker", "ETag", "ChainMapProxy"], SERVER),
    **dict.fromkeys(
        ["AsyncIterablePayload", "BufferedReaderPayload", "BytesIOPayload", "BytesPayload", "EMPTY_PAYLOAD",
         "IOBasePayload", "JsonPayload", "PAYLOAD_REGISTRY", "Payload", "StringIOPayload", "StringPayload",
         "TextIOPayload", "get_payload", "payload_type", "streamer", "UploadTracker"],
        PAYLOADS,
    ),
    **dict.fromkeys(
        ["BodyPartReader", "MultipartReader", "MultipartWriter", "BadContentDispositionHeader",
         "BadContentDispositionParam", "content_disposition_filename", "parse_content_disposition"],
        MULTIPART,
    ),
    **dict.fromkeys(["TraceRequestChunkSentParams", "TraceResponseChunkReceivedParams"], CHUNK_TRACING),
    **dict.fromkeys(["AsyncResolver", "DefaultResolver", "ThreadedResolver"], RESOLVERS),
    **dict.fromkeys(
        ["DataQueue", "FlowControlDataQueue", "EofStream", "StreamReader", "WebSocketReader", "WebSocketWriter",
         "HeadersParser", "HttpParser", "HttpRequestParser", "HttpResponseParser", "RawRequestMessage",
         "RawResponseMessage", "StreamWriter"],
        INTERNALS,
    ),
    **dict.fromkeys(["ClientHandlerType", "ClientMiddlewareType", "DigestAuthMiddleware"], MIDDLEWARE),
    "ClientRequest": "requests are built inside the session; ClientSession(request_class=...) raises NotImplementedError",
    "NamedPipeConnector": "Windows named pipes (ProactorEventLoop) are not supported",
    "set_zlib_backend": "permessage-deflate and body decoding use the standard zlib module only",
    "WSHandshakeError": "server-side handshake error of aiohttp.web; our server refuses with an HTTP answer",
    "ws_ext_gen": "aiohttp's extension-header helper; PerMessageDeflate(...).header_value() is ours",
    "ws_ext_parse": "aiohttp's extension-header helper; deflate.negotiate_client is ours",
}

MODULES = ["client_exceptions", "client_ws", "hdrs", "http", "http_websocket", "typedefs"]
#: aiohttp.typedefs has no __all__; its aliases are these (Handler and Middleware type aiohttp.web).
TYPEDEFS = {
    "Byteish", "DEFAULT_JSON_DECODER", "DEFAULT_JSON_ENCODER", "JSONBytesEncoder", "JSONDecoder", "JSONEncoder",
    "LooseCookies", "LooseCookiesIterables", "LooseCookiesMappings", "LooseHeaders", "PathLike", "Query",
    "RawHeaders", "StrOrURL",
}


def public_names(module: Any) -> set[str]:
    if module.__name__ == "aiohttp.typedefs":
        assert TYPEDEFS | {"Handler", "Middleware"} <= set(dir(module))
        return TYPEDEFS
    names = getattr(module, "__all__", None)
    if names is None:  # aiohttp.client_ws and aiohttp.hdrs have no __all__
        names = [
            n for n in dir(module)
            if not n.startswith("_") and (n.isupper() or getattr(getattr(module, n), "__module__", None) == module.__name__)
        ]
    return set(names)


def missing_from(ours: Any, theirs: Any) -> set[str]:
    return {name for name in public_names(theirs) if not hasattr(ours, name)}


def test_every_missing_aiohttp_client_name_is_listed_with_a_reason() -> None:
    missing = missing_from(aiohttp_ws, aiohttp)
    for name in MODULES:
        missing |= missing_from(importlib.import_module(f"aiohttp_ws.{name}"), importlib.import_module(f"aiohttp.{name}"))
    assert missing - set(MISSING) == set(), "aiohttp names we lack and do not list"
    assert set(MISSING) - missing == set(), "listed as missing but present: remove from MISSING"


@pytest.mark.parametrize("name", MODULES)
def test_submodules_are_reachable_as_attributes(name: str) -> None:
    assert getattr(aiohttp_ws, name) is importlib.import_module(f"aiohttp_ws.{name}")


def test_exception_tree_matches_aiohttps_where_code_catches_it() -> None:
    ce = aiohttp_ws.client_exceptions
    assert issubclass(ce.ClientConnectorDNSError, ce.ClientConnectorError)
    assert issubclass(ce.ClientConnectorSSLError, ce.ClientSSLError)
    assert issubclass(ce.ClientConnectorCertificateError, ce.ClientSSLError)
    import ssl

    assert issubclass(ce.ClientConnectorSSLError, ssl.SSLError)
    assert issubclass(ce.ConnectionTimeoutError, ce.ServerTimeoutError)
    assert issubclass(ce.SocketTimeoutError, asyncio.TimeoutError)
    assert issubclass(ce.InvalidUrlRedirectClientError, ce.RedirectClientError)
    assert issubclass(ce.NonHttpUrlRedirectClientError, ce.NonHttpUrlClientError)
    assert aiohttp_ws.hdrs.SEC_WEBSOCKET_PROTOCOL == "Sec-WebSocket-Protocol"
    assert aiohttp_ws.http.WS_KEY == b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert aiohttp_ws.http.HttpVersion11 == (1, 1)


async def test_unresolvable_host_is_a_dns_error() -> None:
    with pytest.raises(aiohttp_ws.ClientConnectorDNSError):
        await aiohttp_ws.ws_connect("ws://name.invalid/")


# -- errors come when awaited, never at the call (aiohttp's contract) ----------------


@pytest.mark.parametrize(
    "url, kwargs, error",
    [
        ("ws://127.0.0.1:1/\r\nx", {}, ValueError),
        ("ftp://127.0.0.1/", {}, aiohttp_ws.NonHttpUrlClientError),
        ("ws://127.0.0.1:1/", {"ssl": 42}, TypeError),
        ("ws://127.0.0.1:1/", {"compress": 1}, ValueError),
        ("ws://127.0.0.1:1/", {"headers": {"X": "a\nb"}}, ValueError),
    ],
)
async def test_ws_connect_raises_when_awaited(url: str, kwargs: dict[str, Any], error: type[Exception]) -> None:
    async with aiohttp_ws.ClientSession() as session:
        pending = session.ws_connect(url, **kwargs)  # no error yet
        with pytest.raises(error):
            await asyncio.wait_for(pending, 5)
        task = asyncio.create_task(session.ws_connect(url, **kwargs))  # a coroutine, as aiohttp's
        with pytest.raises(error):
            await task
        with pytest.raises(error):
            async with session.ws_connect(url, **kwargs):
                pass  # pragma: no cover


async def test_request_raises_when_awaited() -> None:
    async with aiohttp_ws.ClientSession() as session:
        pending = session.get("http://127.0.0.1:1/\nx")
        with pytest.raises(ValueError):
            await pending


# -- ClientSession keywords of aiohttp 3.14 ----------------------------------------------


async def test_loop_argument_is_accepted_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match="loop"):
        session = aiohttp_ws.ClientSession(loop=asyncio.get_running_loop())
    await session.close()


@pytest.mark.parametrize(
    "kwargs",
    [{"middlewares": [object()]}, {"request_class": object},
     {"version": aiohttp_ws.HttpVersion10}],
)
async def test_unsupported_session_keywords_say_so(kwargs: dict[str, Any]) -> None:
    with pytest.raises(NotImplementedError):
        aiohttp_ws.ClientSession(**kwargs)


async def test_deprecated_session_timeouts_warn_and_apply() -> None:
    with pytest.warns(DeprecationWarning, match="read_timeout"):
        session = aiohttp_ws.ClientSession(read_timeout=7)
    assert session.timeout.total == 7
    await session.close()
    with pytest.raises(ValueError):
        aiohttp_ws.ClientSession(timeout=5)  # aiohttp wants ClientTimeout here


@pytest.fixture
async def form_server() -> Any:
    seen: list[dict[str, Any]] = []

    async def handler(request: aiohttp.web.Request) -> aiohttp.web.Response:
        form = await request.post()
        fields = {}
        for name, value in form.items():
            if isinstance(value, aiohttp.web.FileField):
                fields[name] = (value.filename, value.content_type, value.file.read())
            else:
                fields[name] = value
        seen.append({"headers": dict(request.headers), "fields": fields, "path": request.path})
        return aiohttp.web.json_response({"ok": True})

    app = aiohttp.web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/", seen
    await runner.cleanup()


async def test_formdata_urlencoded_and_multipart_parsed_by_aiohttp(form_server: Any) -> None:
    base, seen = form_server
    async with aiohttp_ws.ClientSession(base_url=base) as session:
        async with session.post("plain", data=aiohttp_ws.FormData({"a": "1", "ü": "ß é"})) as resp:
            assert resp.status == 200
        form = aiohttp_ws.FormData()
        form.add_field("text", "hello\r\n\"quoted\"")
        form.add_field("file", io.BytesIO(b"\x00\x01binary"), filename="data.bin", content_type="application/x-test")
        form.add_field("raw", b"bytes value")
        async with session.post("multi", data=form) as resp:
            assert await resp.json() == {"ok": True}
    assert seen[0]["path"] == "/plain"
    assert seen[0]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert seen[0]["fields"] == {"a": "1", "ü": "ß é"}
    assert seen[1]["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert seen[1]["fields"] == {
        "text": "hello\r\n\"quoted\"",
        "file": ("data.bin", "application/x-test", b"\x00\x01binary"),
        "raw": ("raw", "application/octet-stream", b"bytes value"),
    }


async def test_skip_auto_headers_and_json_serialize(form_server: Any) -> None:
    base, seen = form_server
    async with aiohttp_ws.ClientSession(
        skip_auto_headers=["User-Agent", "Accept-Encoding"], json_serialize=lambda obj: json.dumps(obj, indent=1)
    ) as session:
        async with session.post(base + "j", json={"k": 1}) as resp:
            assert resp.status == 200
    headers = seen[0]["headers"]
    assert "User-Agent" not in headers and "Accept-Encoding" not in headers and headers["Accept"] == "*/*"


def test_base_url_needs_a_trailing_slash() -> None:
    with pytest.raises(ValueError):
        aiohttp_ws.ClientSession(base_url="http://h/api")


async def test_ws_connect_with_base_url_and_decode_text_false(our_server: str) -> None:
    async with aiohttp_ws.ClientSession(base_url=our_server) as session:
        async with session.ws_connect("/", decode_text=False) as ws:
            await ws.send_str("ünï")
            assert await ws.receive_str() == "ünï".encode()
            await ws.send_json({"a": 1})
            assert await ws.receive_json(loads=json.loads) == {"a": 1}  # bytes into loads
            await ws.send_json_bytes({"b": 2}, dumps=lambda obj: json.dumps(obj).encode())
            assert json.loads(await ws.receive_bytes()) == {"b": 2}


async def test_deprecated_ssl_keywords_warn_and_conflicts_raise(our_server: str) -> None:
    async with aiohttp_ws.ClientSession() as session:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with session.ws_connect(our_server, verify_ssl=False) as ws:
                assert not ws.closed
        assert any("verify_ssl" in str(w.message) for w in caught)
        with pytest.raises(ValueError), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            await session.ws_connect(our_server, ssl=False, fingerprint=b"x" * 32)


async def test_aiohttp_016_module_level_ws_connect_signature(our_server: str) -> None:
    """aiohttp 0.16: ws_connect(url, *, protocols, timeout, connector, ws_response_class, autoclose, autoping, loop)."""

    class Mine(aiohttp_ws.ClientWebSocketResponse):  # type: ignore[type-arg]
        pass

    with pytest.warns(DeprecationWarning) as caught:
        ws = await aiohttp_ws.ws_connect(
            our_server,
            protocols=("chat",),
            timeout=10.0,
            connector=aiohttp_ws.TCPConnector(),
            ws_response_class=Mine,
            autoclose=True,
            autoping=True,
            loop=asyncio.get_running_loop(),
        )
    assert {str(w.message).split()[0] for w in caught} >= {"The", "parameter"}  # loop, float timeout
    assert isinstance(ws, Mine) and ws.protocol == "chat"
    await ws.send_str("0.16")
    assert (await ws.receive()).data == "0.16"
    assert await ws.close() is True
