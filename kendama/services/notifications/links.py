"""Absolute links from BASE_URL, and the signed, expiring links that let an email's recipient act.

Emails are built in workers, without a request, and Stripe must send people back to the address
the operator configured, so links come from BASE_URL rather than from the request's host. A signed link names the session and the recipient; the page it opens still
requires that recipient to be signed in, so a forwarded email lets nobody else in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from ...models import LiveSession, User
from ..accounts import signing
from ..errors import NotAllowed

# Pages an email lets the recipient act on, by action. Until an area's page exists, the link
# opens the dashboard, which lists the recipient's sessions.
ACTION_ENDPOINTS = {
    "join": "video.join",
    "cancel": "dashboard.cancel_session",
    "reschedule": "dashboard.reschedule_session_page",
}
FALLBACK_ENDPOINT = "dashboard.index"


def absolute_url(endpoint: str, **values: Any) -> str:
    """BASE_URL plus the path Flask builds for `endpoint` (query arguments included)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc or "localhost", script_name=base.path or "/")
    return f"{base.scheme}://{base.netloc}{adapter.build(endpoint, values, force_external=False)}"


def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def first_existing(*endpoints: str) -> str:
    """The first endpoint that exists, else the dashboard."""
    return next((endpoint for endpoint in endpoints if has_endpoint(endpoint)), FALLBACK_ENDPOINT)


def action_url(action: str, session: LiveSession, user: User) -> str:
    """A signed, expiring link for this recipient to `action` the session."""
    endpoint = ACTION_ENDPOINTS[action]
    if not has_endpoint(endpoint):
        return absolute_url(FALLBACK_ENDPOINT)
    token = signing.sign(f"email-{action}", {"s": session.id, "u": user.id})
    return absolute_url(endpoint, session_id=session.id, t=token)


def check_action_token(action: str, token: str, session_id: int, user_id: int) -> None:
    """Raise NotAllowed unless `token` is a live `action` link minted for this session and user."""
    data = signing.unsign(f"email-{action}", token, current_app.config["EMAIL_ACTION_LINK_SECONDS"])
    if not isinstance(data, dict) or data.get("s") != session_id or data.get("u") != user_id:
        raise NotAllowed("This link was sent to someone else.", code="link_invalid")
