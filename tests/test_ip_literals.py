"""IP literals connect without a lookup (``_dns.ip_literal``): exactly the
strings the standard library's ``ipaddress.ip_address`` takes, nothing else
(a name, or anything odd, goes to ``getaddrinfo``)."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from aiohttp_ws._dns import ip_literal

CASES = [
    "1.2.3.4", "0.0.0.0", "255.255.255.255", "127.1", "01.2.3.4", "1.2.3.04", "1.2.3", "256.1.1.1",
    "0x1.1.1.1", "1.2.3.4.", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4\x00", "١.٢.٣.٤", "", "localhost",
    "::", "::1", "1::", "fe80::1", "::ffff:1.2.3.4", "::FFFF:1.2.3.4", "::ffff:01.2.3.4",
    "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:1.2.3.4", "1::2::3", "00000::1", "[::1]",
    "1:2:3:4:5:6:7::", "example.com",
]


@pytest.mark.parametrize("host", CASES)
def test_same_literals_as_ipaddress(host: str) -> None:
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    got = ip_literal(host, 443, 0)
    if ip is None:
        assert got is None
        return
    assert got is not None
    ((family, kind, proto, _, address),) = got
    assert kind == socket.SOCK_STREAM and proto == socket.IPPROTO_TCP
    if ip.version == 4:
        assert family == socket.AF_INET and address == (host, 443)
    else:
        assert family == socket.AF_INET6 and address == (host, 443, 0, 0)


def test_scoped_ipv6_and_wrong_family() -> None:
    assert ip_literal("fe80::1%eth0", 80, 0) is None  # getaddrinfo fills the scope id
    with pytest.raises(OSError, match="AF_INET6"):
        ip_literal("1.2.3.4", 80, socket.AF_INET6)
    with pytest.raises(OSError, match="AF_INET"):
        ip_literal("::1", 80, socket.AF_INET)
