"""The sandbox's HTTP face: Daily's REST endpoints the adapter uses and its file links (the call
screen's endpoints are in call_routes.py)."""

from __future__ import annotations

import hmac
import re
import time
from datetime import UTC, datetime
from typing import Any

from flask import current_app, jsonify, request, send_file
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from . import bp, config, webhooks
from .meetings import CallRefused, Meetings
from .store import Store

LINK_SECONDS = 3600  # Daily's access links last hours; the app asks for a new one every time anyway
ROOM_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
ROOM_PROPERTIES = {
    "nbf", "exp", "eject_at_room_exp", "eject_after_elapsed", "max_participants", "enable_recording",
    "enable_prejoin_ui", "enable_knocking", "enable_transcription_storage", "lang", "start_video_off",
    "start_audio_off",
}  # fmt: skip
TOKEN_PROPERTIES = {
    "room_name", "user_name", "user_id", "is_owner", "nbf", "exp", "eject_at_token_exp", "eject_after_elapsed",
    "enable_recording", "start_cloud_recording", "auto_start_transcription", "enable_recording_ui",
    "redirect_on_meeting_exit", "close_tab_on_exit", "enable_prejoin_ui", "lang", "start_video_off",
    "start_audio_off",
}  # fmt: skip
# Reached with a meeting token or a signed link (by the browser), not with the API key.
PUBLIC_ENDPOINTS = {
    "call_page",
    "call_join",
    "call_presence",
    "call_leave",
    "call_signal",
    "recording_file",
    "transcript_file",
    "static",
}


def _store() -> Store:
    return Store(config.database_path(current_app))


def _meetings() -> Meetings:
    return Meetings(_store(), config.webhook_url(current_app), config.ice_servers(current_app))


def _error(status: int, error: str, info: str):
    return jsonify({"error": error, "info": info}), status


def _tokens() -> URLSafeSerializer:
    return URLSafeSerializer(config.signing_key(current_app), salt="kendama.video-sandbox.meeting-token")


def _file_links() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config.signing_key(current_app), salt="kendama.video-sandbox.file")


def _base() -> str:
    return config.base_url(current_app)


@bp.before_request
def guard():
    reason = config.refusal(current_app)
    if reason:
        return _error(404, "sandbox-disabled", reason)
    endpoint = (request.endpoint or "").rpartition(".")[2]
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    expected = f"Bearer {config.api_key(current_app)}"
    if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected.encode()):
        return _error(401, "authentication-error", "Send the sandbox API key as Authorization: Bearer <key>.")
    return None


@bp.after_request
def wake_deliverer(response):
    if config.refusal(current_app) is None:
        store = _store()
        webhooks.notify(current_app._get_current_object(), store, _meetings())
    return response


def _json_body() -> dict[str, Any] | None:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


# --- rooms ----------------------------------------------------------------------------
def _room_json(room: dict) -> dict:
    return {
        "id": room["id"],
        "name": room["name"],
        "api_created": True,
        "privacy": room["privacy"],
        "url": f"{_base()}/call/{room['name']}",
        "created_at": datetime.fromtimestamp(room["created_at"], UTC).isoformat().replace("+00:00", "Z"),
        "config": room["properties"],
    }


def _room_properties_refusal(properties: Any):
    """The 400 answer for room properties Daily would refuse, or None when they are fine."""
    if not isinstance(properties, dict):
        return _error(400, "invalid-request-error", "properties must be an object.")
    unknown = sorted(set(properties) - ROOM_PROPERTIES)
    if unknown:
        return _error(400, "invalid-request-error", f"unknown room properties: {', '.join(unknown)}")
    return None


@bp.post("/rooms")
def create_room():
    data = _json_body()
    if data is None:
        return _error(400, "invalid-request-error", "Send a JSON object.")
    name = data.get("name") or f"sandbox-{int(time.time() * 1000)}"
    properties = data.get("properties") or {}
    if not isinstance(name, str) or not ROOM_NAME.match(name):
        return _error(400, "invalid-request-error", "name must be 1-128 letters, digits, '-' or '_'.")
    if data.get("privacy", "public") not in ("public", "private"):
        return _error(400, "invalid-request-error", "privacy must be public or private.")
    refusal = _room_properties_refusal(properties)
    if refusal:
        return refusal
    room = _store().create_room(name, data.get("privacy", "public"), properties)
    if room is None:
        return _error(400, "invalid-request-error", f"a room named {name} already exists")
    return jsonify(_room_json(room))


@bp.get("/rooms/<name>")
def get_room(name: str):
    room = _store().room(name)
    if room is None:
        return _error(404, "not-found", f"room {name} was not found")
    return jsonify(_room_json(room))


@bp.post("/rooms/<name>")
def update_room(name: str):
    data = _json_body()
    if data is None:
        return _error(400, "invalid-request-error", "Send a JSON object.")
    properties = data.get("properties") or {}
    refusal = _room_properties_refusal(properties)
    if refusal:
        return refusal
    room = _store().update_room(name, properties)
    if room is None:
        return _error(404, "not-found", f"room {name} was not found")
    return jsonify(_room_json(room))


@bp.post("/rooms/<name>/eject")
def eject(name: str):
    data = _json_body() or {}
    ids, user_ids = data.get("ids") or [], data.get("user_ids") or []
    if not all(isinstance(v, list) and all(isinstance(i, str) for i in v) for v in (ids, user_ids)):
        return _error(400, "invalid-request-error", "ids and user_ids must be lists of strings.")
    try:
        ejected = _meetings().eject(name, participant_ids=ids, user_ids=user_ids)
    except CallRefused as exc:
        return _error(exc.status, exc.code, exc.message)
    return jsonify({"ejectedIds": ejected})


@bp.delete("/rooms/<name>")
def delete_room(name: str):
    if not _store().delete_room(name):
        return _error(404, "not-found", f"room {name} was not found")
    return jsonify({"deleted": True, "name": name})


@bp.post("/rooms/<name>/recordings/start")
def start_recording(name: str):
    try:
        _meetings().start_recording(name)
    except CallRefused as exc:
        return _error(exc.status, exc.code, exc.message)
    return jsonify({"status": "success"})


@bp.post("/rooms/<name>/recordings/stop")
def stop_recording(name: str):
    try:
        _meetings().stop_recording(name)
    except CallRefused as exc:
        return _error(exc.status, exc.code, exc.message)
    return jsonify({"status": "success"})


# --- meeting tokens -------------------------------------------------------------------------
@bp.post("/meeting-tokens")
def create_token():
    data = _json_body()
    properties = (data or {}).get("properties")
    if not isinstance(properties, dict):
        return _error(400, "invalid-request-error", 'Send {"properties": {...}}.')
    unknown = sorted(set(properties) - TOKEN_PROPERTIES)
    if unknown:
        return _error(400, "invalid-request-error", f"unknown token properties: {', '.join(unknown)}")
    if len(str(properties.get("user_id", ""))) > 36:
        return _error(400, "invalid-request-error", "user_id must be at most 36 characters.")
    return jsonify({"token": _tokens().dumps(properties)})


@bp.get("/meeting-tokens/<token>")
def validate_token(token: str):
    try:
        properties = _tokens().loads(token)
    except BadSignature:
        return _error(400, "invalid-request-error", "This is not a valid meeting token.")
    if properties.get("exp") and time.time() >= properties["exp"]:
        return _error(400, "invalid-request-error", "This meeting token has expired.")
    return jsonify(properties)


# --- recordings and transcripts ----------------------------------------------------------
def _recording_json(recording: dict) -> dict:
    return {
        "id": recording["id"],
        "room_name": recording["room_name"],
        "start_ts": int(recording["start_ts"]),
        "status": "in-progress" if recording["status"] == "stopping" else recording["status"],  # Daily's words
        "max_participants": 2,
        "duration": recording["duration"],
        "share_token": None,
        "s3key": recording["s3key"],
        "mtgSessionId": recording["mtg_session_id"],
        "tracks": [],
    }


@bp.get("/recordings")
def list_recordings():
    room_name = request.args.get("room_name")
    if room_name:
        _meetings().sweep(room_name)
    items = [_recording_json(r) for r in _store().recordings(room_name)]
    return jsonify({"total_count": len(items), "data": items})


@bp.get("/recordings/<recording_id>")
def get_recording(recording_id: str):
    recording = _store().recording(recording_id)
    if recording is None:
        return _error(404, "not-found", "recording not found")
    return jsonify(_recording_json(recording))


@bp.get("/recordings/<recording_id>/access-link")
def recording_access_link(recording_id: str):
    recording = _store().recording(recording_id)
    if recording is None:
        return _error(404, "not-found", "recording not found")
    if recording["status"] != "finished":
        return _error(400, "invalid-request-error", "the recording is not finished")
    sig = _file_links().dumps({"recording": recording_id})
    return jsonify(
        {
            "download_link": f"{_base()}/files/recordings/{recording_id}?sig={sig}",
            "expires": int(time.time()) + LINK_SECONDS,
        }
    )


@bp.delete("/recordings/<recording_id>")
def delete_recording(recording_id: str):
    if not _store().delete_recording(recording_id):
        return _error(404, "not-found", "recording not found")
    return jsonify({"deleted": True, "id": recording_id})


def _transcript_json(transcript: dict) -> dict:
    return {
        "transcriptId": transcript["id"],
        "domainId": "sandbox",
        "roomId": transcript["room_id"],
        "mtgSessionId": transcript["mtg_session_id"],
        "status": transcript["status"],
        "duration": transcript["duration"],
        "isVttAvailable": transcript["status"] == "t_finished",
    }


@bp.get("/transcript")
def list_transcripts():
    room_id = request.args.get("roomId")
    if not room_id:
        return _error(400, "invalid-request-error", "roomId is required in the sandbox.")
    items = [_transcript_json(t) for t in _store().transcripts(room_id)]
    return jsonify({"total_count": len(items), "data": items})


@bp.get("/transcript/<transcript_id>")
def get_transcript(transcript_id: str):
    transcript = _store().transcript(transcript_id)
    if transcript is None:
        return _error(404, "not-found", "transcript not found")
    return jsonify(_transcript_json(transcript))


@bp.get("/transcript/<transcript_id>/access-link")
def transcript_access_link(transcript_id: str):
    transcript = _store().transcript(transcript_id)
    if transcript is None or transcript["status"] != "t_finished":
        return _error(404, "not-found", "transcript not found or not finished")
    sig = _file_links().dumps({"transcript": transcript_id})
    return jsonify(
        {"link": f"{_base()}/files/transcripts/{transcript_id}?sig={sig}", "expires": int(time.time()) + LINK_SECONDS}
    )


# --- signed file links (what the presigned storage URLs are at Daily) -----------------------
def _link_valid(kind: str, object_id: str) -> bool:
    try:
        data = _file_links().loads(request.args.get("sig", ""), max_age=LINK_SECONDS)
    except BadSignature:
        return False
    return isinstance(data, dict) and data.get(kind) == object_id


@bp.get("/files/recordings/<recording_id>")
def recording_file(recording_id: str):
    if not _link_valid("recording", recording_id) or _store().recording(recording_id) is None:
        return _error(403, "access-denied", "This link is not valid (or has expired).")
    media = _store().media_file(recording_id)
    if not media.exists():
        return _error(404, "not-found", "This recording has no file.")
    return send_file(media, mimetype="video/webm", conditional=True, max_age=0)


@bp.get("/files/transcripts/<transcript_id>")
def transcript_file(transcript_id: str):
    transcript = _store().transcript(transcript_id)
    if not _link_valid("transcript", transcript_id) or transcript is None or not transcript["vtt"]:
        return _error(403, "access-denied", "This link is not valid (or has expired).")
    return current_app.response_class(transcript["vtt"], mimetype="text/vtt")
