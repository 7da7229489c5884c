"""The call screen and what its page asks of the sandbox: join, stay (presence, with the WebRTC
signals waiting for this person), pass a signal on, leave. All of it is reached with the meeting
token in the body, never the API key; the token is checked on every request, as at a join."""

from __future__ import annotations

import json

from flask import current_app, jsonify, render_template, request
from itsdangerous import BadSignature

from ....web import security
from . import bp, config
from .meetings import CallRefused
from .routes import _error, _json_body, _meetings, _store, _tokens


@bp.get("/call/<name>")
def call_page(name: str):
    room = _store().room(name)
    page = render_template(
        "video_sandbox/call.html",
        room_name=name,
        exists=room is not None,
        ice_servers=json.dumps(config.ice_servers(current_app)),
    )
    response = current_app.make_response((page, 200 if room else 404))
    # The app's join page embeds this page; only pages of this origin may frame it.
    policy = security.content_security_policy(current_app).replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _token_from_body(data: dict | None, name: str) -> dict:
    try:
        token = _tokens().loads((data or {}).get("token") or "")
    except BadSignature as exc:
        raise CallRefused("not-allowed", "This meeting token is not valid.") from exc
    if token.get("room_name") != name:
        raise CallRefused("token-room-mismatch", "This meeting token is for another room.")
    return token


def _participant(data: dict | None) -> str:
    return str((data or {}).get("participant_id", ""))


@bp.post("/call/<name>/join")
def call_join(name: str):
    try:
        return jsonify(_meetings().join(name, _token_from_body(_json_body(), name)))
    except CallRefused as exc:
        return _error(exc.status, exc.code, exc.message)


@bp.post("/call/<name>/presence")
def call_presence(name: str):
    data = _json_body()
    after = (data or {}).get("after", 0)
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        return _error(400, "invalid-request-error", "after must be a signal number (0 or more).")
    try:
        _token_from_body(data, name)
        return jsonify(_meetings().heartbeat(name, _participant(data), after))
    except CallRefused as exc:
        return _error(exc.status, exc.code, exc.message)


@bp.post("/call/<name>/signal")
def call_signal(name: str):
    """An offer, answer, ICE candidate, media state or goodbye for one other peer of the call."""
    data = _json_body()
    recipient, kind = (data or {}).get("to"), (data or {}).get("kind")
    if not isinstance(recipient, str) or not isinstance(kind, str) or "data" not in (data or {}):
        return _error(400, "invalid-request-error", 'Send {"token", "participant_id", "to", "kind", "data"}.')
    try:
        _token_from_body(data, name)
        _meetings().signal(name, _participant(data), recipient, kind, data["data"])
    except CallRefused as exc:
        return _error(exc.status, exc.code, exc.message)
    return jsonify({"status": "queued"}), 202


@bp.post("/call/<name>/leave")
def call_leave(name: str):
    # A page being closed sends this with navigator.sendBeacon; read the body whatever its type.
    data = _json_body() or _parse_loose(request.get_data(as_text=True))
    try:
        _token_from_body(data, name)
        return jsonify(_meetings().leave(name, _participant(data)))
    except CallRefused as exc:
        return _error(exc.status, exc.code, exc.message)


def _parse_loose(text: str) -> dict | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
