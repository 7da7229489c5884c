"""The one place that knows which htmx integration we use (flask-htmx); swap it here."""

import json

from flask import Response
from flask_htmx import HTMX

htmx = HTMX()


def is_htmx_request() -> bool:
    """True when the current request was sent by htmx (and is not a history restore)."""
    return bool(htmx) and not htmx.history_restore_request


def trigger(response: Response, event: str, detail: object | None = None) -> Response:
    """Ask the page to fire a client event (used for toasts and live-region messages)."""
    response.headers["HX-Trigger"] = json.dumps({event: detail if detail is not None else True})
    return response
