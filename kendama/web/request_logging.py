"""Structured request logs: one JSON line per request, with a request id that jobs inherit."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, request
from flask_login import AnonymousUserMixin
from sqlalchemy import inspect

log = logging.getLogger("kendama.requests")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str | None:
    """The id of the request being served (or of the request that enqueued the running job)."""
    return g.get("request_id") if g else None


class JsonFormatter(logging.Formatter):
    """Log records as JSON objects; extra fields passed as `extra={"fields": {...}}` are merged."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the app's logs to stderr as JSON lines (gunicorn and the worker call this)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("kendama")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _signed_in_user_id() -> int | None:
    """The id of the user this request was served to, if it asked who that was.

    Read without touching the database: after a commit the user's attributes are expired, and
    asking `current_user` anything would reload the row just to write this log line. A request
    that never asked (a public page, the availability API) is logged without a user rather than
    paying for a session and token lookup here.
    """
    user = g.get("_login_user")  # where flask-login keeps the user it loaded for this request
    if user is None or isinstance(user, AnonymousUserMixin):
        return None
    identity = inspect(user).identity
    return identity[0] if identity else None


def init_app(app: Flask) -> None:
    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
            started = g.get("request_started", time.perf_counter())
            user_id = _signed_in_user_id()
            log.info(
                "request",
                extra={
                    "fields": {
                        "request_id": request_id,
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "user_id": user_id,
                    }
                },
            )
        return response
