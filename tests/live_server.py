"""The app served by a real HTTP server in a background thread, on a scratch PostgreSQL database.

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

from kendama import create_app
from kendama.extensions import db

from . import postgres


@dataclass
class LiveServer:
    app: Flask
    url: str

    def app_context(self):
        return self.app.app_context()


@contextmanager
def serve(overrides: dict | None = None) -> Iterator[LiveServer]:
    """Create a scratch database, build its schema, serve the app on a free port; tear it all down after."""
    database_url = postgres.create_database("kendama_live")
    server = None
    app = None
    try:
        # Bind first so the app knows its own address (BASE_URL: emails, Stripe return URLs, webhooks).
        placeholder = Flask("placeholder")
        server = make_server("127.0.0.1", 0, placeholder, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "BASE_URL": url, **(overrides or {})})
        server.app = app
        with app.app_context():
            db.create_all()
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        yield LiveServer(app=app, url=url)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        postgres.drop_database(database_url)
