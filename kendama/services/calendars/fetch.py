"""Fetching a calendar someone else's server hosts: bounded in time and size, and SSRF-guarded.

A player gives us a URL and our server fetches it, so the URL must not be a way to reach
addresses only our server can see (loopback, the private network, cloud metadata at
169.254.169.254). Checking the name before connecting is not enough, as DNS can answer
differently a moment later (rebinding); the check that decides runs on the address the socket
actually connected to, before the TLS handshake or any request byte.

Time is bounded three ways: a connect timeout, a read timeout (per socket read), and a
wall-clock deadline for the whole download, enforced by shutting the socket down, because a
server that trickles one byte at a time never trips a per-read timeout.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

ALLOWED_SCHEMES = ("http", "https")
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
USER_AGENT = "KendamaLive-CalendarImport/1.0"


class FetchError(Exception):
    """Why a calendar could not be fetched, in words a player can act on."""


class BlockedAddress(FetchError):
    """The URL leads to an address we never fetch from."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    connect_timeout: float
    read_timeout: float
    # Read timeouts apply per socket read, so a server that trickles bytes needs a total limit.
    total_seconds: float
    allow_private: bool = False


# IPv6 addresses that carry an IPv4 one which a gateway (NAT64, 6to4) or the kernel would reach.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: a site's own translators
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d, still parsed and routed by some


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (not loopback, private, link-local, ...).

    An IPv6 address carrying an IPv4 address (mapped, compatible, 6to4, NAT64) is judged by
    that IPv4 address, since a translator forwards to it: NAT64 of 10.0.0.1 is the private
    network. A site's own NAT64 prefix is never public.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in NAT64_LOCAL_USE:
            return False
        ip = _carried_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


def _carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64 or ip in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_host(host: str, port: int) -> None:
    """Refuse a host when any address it resolves to is not public (early, friendly check)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"The calendar server {host} could not be found.") from exc
    if not infos or not all(is_public_address(info[4][0]) for info in infos):
        raise BlockedAddress("This address points into a private network, so we cannot fetch it.")


class _Download:
    """The fetch running on this thread: whether private peers are allowed, and its sockets."""

    def __init__(self, allow_private: bool, seconds: float):
        self.allow_private = allow_private
        self.sockets: list[socket.socket] = []
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Download:
        _current.download = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        _current.download = None

    def _expire(self) -> None:
        self.expired = True
        for sock in list(self.sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once
            except OSError:
                pass

    def connected(self, sock: socket.socket) -> None:
        """Check a fresh TCP connection's peer and put it under the deadline."""
        if not self.allow_private and not is_public_address(sock.getpeername()[0]):
            sock.close()
            raise BlockedAddress("This address points into a private network, so we cannot fetch it.")
        self.sockets.append(sock)
        if self.expired:
            self._expire()


_current = threading.local()


def _connected(sock: socket.socket) -> socket.socket:
    download: _Download | None = getattr(_current, "download", None)
    if download is None:  # the adapter is only mounted by fetch(); refuse to run unguarded
        sock.close()
        raise BlockedAddress("Calendar connections are only made by fetch().")
    download.connected(sock)
    return sock


# urllib3 opens the TCP socket in _new_conn, before TLS; hooking there checks the peer first.
class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _connected(super()._new_conn())


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _connected(super()._new_conn())


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections go through _connected()."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def _client() -> requests.Session:
    client = requests.Session()
    # Proxies from the environment would make the peer check see the proxy, not the target.
    client.trust_env = False
    client.headers.update({"User-Agent": USER_AGENT, "Accept": "text/calendar, text/plain;q=0.5, */*;q=0.1"})
    adapter = _GuardedAdapter(max_retries=0)
    client.mount("http://", adapter)
    client.mount("https://", adapter)
    return client


@contextmanager
def guarded_session(limits: Limits) -> Iterator[requests.Session]:
    """A session for a client that makes several requests (CalDAV): each connection peer-checked
    like fetch()'s, redirects included, and all of them under one deadline of limits.total_seconds."""
    with _Download(limits.allow_private, limits.total_seconds), _client() as client:
        del client.headers["Accept"]  # the client says what it accepts per request
        yield client


def _target(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise FetchError("Only http and https calendar addresses can be fetched.")
    if not allow_private:
        check_host(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


def _read_body(response: requests.Response, limits: Limits, download: _Download) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(f"The calendar is larger than {limits.max_bytes // (1024 * 1024)} MB.")
    body = bytearray()
    # iter_content decompresses, so the cap also holds for a small gzip that unpacks huge.
    for chunk in response.iter_content(_CHUNK):
        body.extend(chunk)
        if len(body) > limits.max_bytes:
            raise FetchError(f"The calendar is larger than {limits.max_bytes // (1024 * 1024)} MB.")
        if download.expired:
            raise _too_slow()
    return bytes(body)


def fetch(url: str, limits: Limits) -> bytes:
    """The body at `url`, following a few redirects, each hop checked like the first."""
    with _Download(limits.allow_private, limits.total_seconds) as download, _client() as client:
        for _hop in range(MAX_REDIRECTS + 1):
            _target(url, limits.allow_private)
            try:
                with client.get(
                    url,
                    stream=True,
                    allow_redirects=False,
                    timeout=(limits.connect_timeout, limits.read_timeout),
                ) as response:
                    if response.is_redirect and response.headers.get("Location"):
                        url = urljoin(url, response.headers["Location"])
                        continue
                    if response.status_code != 200:
                        raise FetchError(f"The calendar server answered with HTTP status {response.status_code}.")
                    return _read_body(response, limits, download)
            except requests.exceptions.RequestException as exc:
                raise (_too_slow() if download.expired else _explain(exc)) from exc
    raise FetchError("The calendar address redirects too many times.")


def _too_slow() -> FetchError:
    return FetchError("The calendar server took too long to send the calendar.")


def _explain(exc: requests.exceptions.RequestException) -> FetchError:
    """A player-facing reason for a failed download."""
    # urllib3's NewConnectionError (refused, unreachable) subclasses ConnectTimeoutError: ask first.
    if _caused_by(exc, (NewConnectionError,)):
        return FetchError("Could not connect to the calendar server.")
    if _caused_by(exc, (requests.exceptions.Timeout, ReadTimeoutError, ConnectTimeoutError, TimeoutError)):
        return FetchError("The calendar server did not answer in time.")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return FetchError("Could not connect to the calendar server.")
    return FetchError("The calendar could not be downloaded.")


def _caused_by(exc: BaseException, types: tuple[type[BaseException], ...]) -> bool:
    """Whether `exc` or anything it wraps (requests and urllib3 nest their errors) is one of `types`."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, types):
            return True
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        pending.extend(
            e
            for e in (getattr(current, "reason", None), current.__cause__, current.__context__)
            if isinstance(e, BaseException)
        )
    return False
