"""Helpers for video tests: the video sandbox on a real HTTP server, sessions at chosen times,
and the sandbox's webhooks delivered through the test client.

The sandbox runs in its own app instance on a free port (it keeps its state in SQLite, not in the
test database), so the adapter in the test app talks to it over real HTTP while each test's data
stays inside its rolled-back transaction.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import requests
from flask import Flask, current_app
from werkzeug.serving import make_server

from kendama import create_app
from kendama.extensions import db
from kendama.integrations.video.sandbox import config as sandbox_config
from kendama.integrations.video.sandbox import recorders, transcription
from kendama.integrations.video.sandbox.store import Store
from kendama.integrations.video.sandbox.webhooks import signed_headers
from kendama.models import SessionRecording, utcnow

from .factories import LiveSessionFactory


@dataclass
class SandboxServer:
    app: Flask
    url: str  # the sandbox's API base, as the adapter uses it
    store: Store

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """Call the sandbox's REST API directly (with its key), e.g. to see what a token grants."""
        headers = {"Authorization": f"Bearer {sandbox_config.api_key(self.app)}"}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def token_properties(self, token: str) -> dict:
        response = self.api("GET", f"/meeting-tokens/{token}")
        assert response.status_code == 200, response.text
        return response.json()

    def call(self, room_url: str, action: str, body: dict) -> requests.Response:
        """What the sandbox's call page does: join, presence, leave."""
        return requests.post(f"{room_url}/{action}", json=body, timeout=10)


@contextmanager
def sandbox_server(database_url: str, state_file: Path, **overrides) -> Iterator[SandboxServer]:
    placeholder = Flask("placeholder")
    server = make_server("127.0.0.1", 0, placeholder, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": database_url, "BASE_URL": base, "VIDEO_SANDBOX_DB": str(state_file), **overrides},
    )
    server.app = app
    thread = threading.Thread(target=server.serve_forever, name="video-sandbox", daemon=True)
    thread.start()
    try:
        yield SandboxServer(app=app, url=f"{base}/_sandbox/video", store=Store(state_file))
    finally:
        server.shutdown()
        server.server_close()


def room_name(session_id: int, sequence: int = 0) -> str:
    """The room a session gets (under this test's room prefix: see the use_sandbox fixture)."""
    return f"{current_app.config['VIDEO_ROOM_PREFIX']}-{session_id}-{sequence}"


def session_at(starts_in: timedelta, *, minutes: int = 30, now: datetime | None = None, **fields):
    """A confirmed session starting `starts_in` from now (whole seconds, as tokens carry them)."""
    start = ((now or utcnow()) + starts_in).replace(microsecond=0)
    return LiveSessionFactory(
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        blocked_until=start + timedelta(minutes=minutes),
        **fields,
    )


def deliver_webhooks(client, sandbox: SandboxServer, *, secret: str, room: str | None = None) -> list:
    """Post the sandbox's queued events (of one room, if given) to the app through the test client.

    Recordings are completed and captions recognised after a meeting, in threads of the sandbox's:
    their events are waited for."""
    recorders.wait_idle()
    transcription.wait_idle()
    responses = []
    for event in sandbox.store.pending_webhooks():
        payload = json.loads(event.body)["payload"]
        if room is not None and room not in (payload.get("room"), payload.get("room_name")):
            continue
        body = event.body.encode()
        responses.append(client.post("/webhooks/video", data=body, headers=signed_headers(secret, body)))
        sandbox.store.mark_delivered(event.seq)
    return responses


def recording_part(
    session, status: str = "ready", *, minutes_after: int = 0, duration: int | None = None, captions: str | None = None
) -> SessionRecording:
    """A recording part of `session`, started `minutes_after` its start, committed."""
    row = SessionRecording(
        session_id=session.id,
        provider_recording_id=f"rec-{uuid.uuid4().hex[:12]}",
        status=status,
        duration_seconds=duration,
        captions_vtt=captions,
        created_at=session.starts_at + timedelta(minutes=minutes_after),
    )
    db.session.add(row)
    db.session.commit()
    return row
