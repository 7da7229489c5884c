"""The sandbox posts its events to the app the way Daily does: signed, retried, possibly late.

One deliverer thread per process (and state file) wakes when an event is queued and every few
seconds. Each pass first ends meetings whose people have all gone (closed tabs stop polling),
then posts due events; events are leased while being sent, so two gunicorn workers never send
the same one at once. Failed posts are retried with growing pauses.
"""

from __future__ import annotations

import logging
import threading
import time

import requests
from flask import Flask

from ..daily import sign_webhook
from . import config
from .meetings import Meetings
from .store import Store

log = logging.getLogger(__name__)

_deliverers: dict[str, Deliverer] = {}
_lock = threading.Lock()


def signed_headers(secret: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "X-Webhook-Timestamp": timestamp,
        "X-Webhook-Signature": sign_webhook(secret, timestamp, body),
    }


class Deliverer:
    def __init__(self, store: Store, meetings: Meetings, secret: str, interval: float = 3.0):
        self.store = store
        self.meetings = meetings
        self.secret = secret
        self.interval = interval
        self.wake = threading.Event()
        self.http = requests.Session()
        self.thread = threading.Thread(target=self._run, name="video-sandbox-webhooks", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            self.wake.wait(self.interval)
            self.wake.clear()
            try:
                self.run_once()
            except Exception:  # a broken pass must not stop delivery for good
                log.exception("video sandbox delivery pass failed")

    def run_once(self) -> None:
        for room_name in self._rooms_in_session():
            self.meetings.sweep(room_name)
        for event in self.store.claim_webhooks():
            body = event.body.encode()
            try:
                response = self.http.post(event.url, data=body, headers=signed_headers(self.secret, body), timeout=10)
            except requests.RequestException as exc:
                self.store.mark_failed(event.seq, exc.__class__.__name__)
                continue
            if 200 <= response.status_code < 300:
                self.store.mark_delivered(event.seq)
            else:
                self.store.mark_failed(event.seq, f"HTTP {response.status_code}")

    def _rooms_in_session(self) -> list[str]:
        with self.store.read() as conn:
            return [row[0] for row in conn.execute("SELECT DISTINCT room_name FROM meetings WHERE end_ts IS NULL")]


def notify(app: Flask, store: Store, meetings: Meetings) -> None:
    """Make sure this process delivers (when the configuration says the sandbox posts) and wake it."""
    if not app.config.get("VIDEO_SANDBOX_DELIVER_WEBHOOKS"):
        return
    key = str(store.path)
    deliverer = _deliverers.get(key)
    if deliverer is None:
        with _lock:
            deliverer = _deliverers.get(key)
            if deliverer is None:
                deliverer = _deliverers[key] = Deliverer(store, meetings, config.webhook_secret(app))
    deliverer.wake.set()
