"""Behind a reverse proxy: who the client is, and whether it came over https.

Without a proxy the client is whoever opened the connection (REMOTE_ADDR), and that is what rate
limits count by (Flask-Limiter's `get_remote_address`). Behind nginx every request comes from
nginx, so all clients would share one bucket and one attacker could lock everyone out of
sign-in. `TRUSTED_PROXY_COUNT` says how many proxies stand in front of the app (0: none, the
default; 1: nginx; 2: a load balancer and nginx); then Werkzeug's ProxyFix takes the client's
address from X-Forwarded-For, counting that many entries from the right (each proxy appends the
address it saw; whatever a client writes there itself stays to the left and is never read), and
the scheme from the nearest proxy's X-Forwarded-Proto.

Only a connection from a trusted proxy may speak for a client: from any other peer (one that
reaches the app server directly) the X-Forwarded-* headers are dropped. The trusted peers are
FORWARDED_ALLOW_IPS, the list gunicorn reads for the same purpose (gunicorn.conf.py), so one
setting decides for both. X-Forwarded-Host and -Port are not used: the proxy passes the Host
header on, and every absolute link is built from BASE_URL, never from a request.
"""

from __future__ import annotations

import ipaddress

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

MAX_PROXIES = 10  # more than this in front of one app is a typo, not a set-up
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_FORWARDED",
)


def proxy_count(value: object) -> int:
    """TRUSTED_PROXY_COUNT as a number of proxies; a value that is none is refused at start."""
    text = str(value if value is not None else "").strip()
    if text == "":
        return 0
    if not text.isdigit() or int(text) > MAX_PROXIES:
        raise RuntimeError(
            f"TRUSTED_PROXY_COUNT must be the number of reverse proxies in front of the app, a whole number "
            f"from 0 to {MAX_PROXIES} (0 when clients connect to it directly, 1 behind nginx); got {value!r}."
        )
    return int(text)


def allowed_peers(value: object) -> frozenset[str] | None:
    """FORWARDED_ALLOW_IPS as gunicorn reads it: "*" (any peer: None) or comma-separated IP addresses."""
    items = [item.strip() for item in str(value or "").split(",") if item.strip()]
    if "*" in items:
        return None
    peers = set()
    for item in items:
        try:
            peers.add(str(ipaddress.ip_address(item)))
        except ValueError:
            raise RuntimeError(
                "FORWARDED_ALLOW_IPS must list the proxies' IP addresses, separated by commas "
                f"(e.g. 127.0.0.1,::1), or be *; {item!r} is not an IP address."
            ) from None
    if not peers:
        raise RuntimeError("FORWARDED_ALLOW_IPS names no proxy, so TRUSTED_PROXY_COUNT could never apply.")
    return frozenset(peers)


class TrustedProxies:
    """WSGI middleware: ProxyFix for requests from a trusted proxy, X-Forwarded-* dropped from anyone else."""

    def __init__(self, app, count: int, peers: frozenset[str] | None):
        self.app = app
        self.peers = peers
        self.fixed = ProxyFix(app, x_for=count, x_proto=1)

    def __call__(self, environ, start_response):
        if self.peers is None or environ.get("REMOTE_ADDR") in self.peers:
            return self.fixed(environ, start_response)
        for name in FORWARDED_HEADERS:
            environ.pop(name, None)
        return self.app(environ, start_response)


def init_app(app: Flask) -> None:
    count = proxy_count(app.config.get("TRUSTED_PROXY_COUNT"))
    app.config["TRUSTED_PROXY_COUNT"] = count
    if count:
        app.wsgi_app = TrustedProxies(app.wsgi_app, count, allowed_peers(app.config.get("FORWARDED_ALLOW_IPS")))
