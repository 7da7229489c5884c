"""Whether an address or a bind host is this machine only (127.0.0.0/8, ::1, "localhost")."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str | None) -> bool:
    """True for a loopback address or "localhost"; False for anything else, names included.

    0.0.0.0 and :: (every interface) are not loopback. An IPv4 address written as IPv6
    (::ffff:127.0.0.1, how a dual-stack socket reports an IPv4 peer) counts as that IPv4 address.
    """
    text = (host or "").strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
