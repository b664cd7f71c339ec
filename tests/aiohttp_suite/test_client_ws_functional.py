"""aiohttp's ``tests/test_client_ws_functional.py``, run against aiohttp_ws.

The file comes from the sdist of the installed aiohttp (``upstream.py``: fetched
with pip at test time, imports rewritten, bodies unchanged) and is executed
into this module, so pytest collects its tests here. The server in every test
is a real ``aiohttp.web`` application; the client is ours.

``SKIPPED`` lists every test that is not run, each with its reason: either it
reads or patches aiohttp's private client internals (``resp._reader``,
``resp._writer``, ``ResponseHandler``, ...), which have no counterpart here,
or it checks a behaviour where we deliberately differ from aiohttp
(``docs/differences.rst``).
"""

from __future__ import annotations

import pytest

from .upstream import write_rewritten

PRIVATE = "uses aiohttp's private client internals"
SKIPPED = {
    "test_stashed_frames_survive_connection_loss": PRIVATE + " (ws._reader, protocol._payload_parser)",
    "test_heartbeat_connection_closed": PRIVATE + " (resp._writer.send_frame patched)",
    "test_heartbeat_does_not_timeout_while_receiving_large_frame": PRIVATE + " (ws._writer.transport)",
    "test_heartbeat_no_pong_after_receive_many_messages": PRIVATE + " (resp._writer.send_frame patched)",
    "test_heartbeat_no_pong_concurrent_receive": PRIVATE + " (aiohttp.client.WebSocketDataQueue patched)",
    "test_close_websocket_while_ping_inflight": PRIVATE + " (resp._writer.send_frame patched)",
    "test_websocket_connection_not_closed_properly": PRIVATE + " (resp._conn.release())",
    "test_websocket_connection_cancellation": PRIVATE + " (client._websockets, websocket._response)",
    "test_stalled_parser_outlives_connection_lost": PRIVATE + " (ws._reader._stalled_reader)",
    "test_close_releases_parser": PRIVATE + " (resp._parser)",
    "test_data_discarded_after_protocol_error": PRIVATE + " (protocol._tail)",
    "test_tail_bounded_while_a_trace_callback_suspends": PRIVATE + " (ResponseHandler._pause_reading_for_buffer)",
    # Deliberate differences (docs/differences.rst):
    "test_recv_protocol_error": (
        "deliberate difference: a protocol violation is a typed WebSocketError subclass (ProtocolError, close "
        "code 1002) with our message, and exception() returns it instead of None"
    ),
    "test_concurrent_close_multiple_tasks": (
        "deliberate difference: a receive() waiting when another task calls close() returns CLOSING once "
        "(aiohttp's documented contract, checked by test_concurrent_close); aiohttp returns CLOSED here only "
        "because its second close() takes the CLOSING marker from the shared reader queue first"
    ),
}

_path = write_rewritten("test_client_ws_functional.py")
exec(compile(_path.read_text("utf-8"), str(_path), "exec"), globals())

for _name, _reason in SKIPPED.items():
    assert _name in globals(), f"{_name} is no longer in aiohttp's file: update SKIPPED"
    globals()[_name] = pytest.mark.skip(reason=_reason)(globals()[_name])
