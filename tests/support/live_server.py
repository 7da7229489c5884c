"""The app served by a real HTTP server in a background thread, on a scratch database.

Used where something outside the test client must reach the app over HTTP: the browser tests,
and the Stripe and video adapters calling their sandboxes, which are served by the same process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import make_server

from .backends import scratch_app


@dataclass
class LiveServer:
    app: Flask
    url: str
    backend: str

    def app_context(self):
        return self.app.app_context()


@contextmanager
def serve(overrides: dict | None = None, backend: str = "postgresql") -> Iterator[LiveServer]:
    """Build a scratch database of `backend` and serve the app on a free port; tear it all down after."""
    # Bind first so the app knows its own address (BASE_URL: emails, Stripe return URLs, webhooks).
    placeholder = Flask("placeholder")
    server = make_server("127.0.0.1", 0, placeholder, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with scratch_app(backend, {"BASE_URL": url, **(overrides or {})}) as app:
            server.app = app
            thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
            thread.start()
            try:
                yield LiveServer(app=app, url=url, backend=backend)
            finally:
                server.shutdown()
    finally:
        server.server_close()
