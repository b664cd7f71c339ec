"""The Sans-I/O core: RFC 6455 / RFC 7692 / RFC 9112 as pure state machines.

Bytes in, events and messages out; calls in, bytes out. Nothing in this
package imports asyncio, anyio, socket, ssl or h2 (``tests/core/
test_sansio_imports.py`` enforces it), so every I/O layer (the asyncio
connection beside this package, the anyio one in ``aiohttp_ws.anyio``) drives
the same code.

- ``frames``: frame parsing and serialization, masking, close payloads
  (RFC 6455 §5); compiled by Cython as ``_frames_c`` beside its source.
- ``protocol``: ``WebSocketProtocol``, the connection state machine (§5-7).
- ``deflate``: permessage-deflate (RFC 7692).
- ``handshake``: the opening handshake for both roles (RFC 6455 §4).
- ``http11``: HTTP/1.1 message heads and bodies with limits (RFC 9112).
- ``redirects``, ``cookiejar``: the client's redirect and cookie rules
  (RFC 9110 §15.4, RFC 6265).

The old flat paths (``aiohttp_ws.frames``, ``aiohttp_ws.protocol``, ...)
remain importable as aliases of these modules.
"""
