"""A `requests` transport that hands requests to a WSGI app in this process instead of a socket.

Used only for the embedded default, where the video sandbox is served by this very app: a join
request that called the sandbox over the network would wait for a second server thread, and with
every thread busy joining (a burst of people at the top of the hour) nobody would be left to
answer, until the timeouts. The adapter's code is unchanged: the same methods, paths, headers and
JSON bodies reach the same sandbox endpoints; only the socket is skipped. Each call runs in a
fresh context, so the inner request gets its own app context, `g` and database session.
"""

from __future__ import annotations

import contextvars
import io
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app


class WSGITransport(BaseAdapter):
    def __init__(self, wsgi_app):
        super().__init__()
        self.wsgi_app = wsgi_app
        self._builder = HTTPAdapter()  # only for build_response: a requests.Response like any other

    def send(self, request: requests.PreparedRequest, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        parts = urlsplit(request.url)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        environ = EnvironBuilder(
            path=parts.path,
            base_url=f"{parts.scheme}://{parts.netloc}",
            query_string=parts.query,
            method=request.method,
            headers=dict(request.headers),
            data=body or b"",
        ).get_environ()
        app_iter, status, headers = contextvars.Context().run(run_wsgi_app, self.wsgi_app, environ, buffered=True)
        content = b"".join(app_iter)
        raw = HTTPResponse(
            body=io.BytesIO(content),
            headers=list(headers.items()),
            status=int(status.split(" ", 1)[0]),
            reason=status.split(" ", 1)[1] if " " in status else "",
            preload_content=False,
            decode_content=False,
        )
        return self._builder.build_response(request, raw)

    def close(self) -> None:
        """Nothing to close: no connection is held."""
