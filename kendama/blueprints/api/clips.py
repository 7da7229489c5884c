"""Practice clips through the JSON API: the fan uploads (multipart field `file`), participants list."""

from __future__ import annotations

from flask import jsonify, request, url_for
from pydantic import BaseModel

from ...services.coaching import clips
from ...services.timezones import iso_utc
from . import bp
from .io import require_user
from .spec import operation


class ClipCreatedOut(BaseModel):
    id: int
    status: str
    duration_seconds: float


class ClipOut(BaseModel):
    id: int
    duration_seconds: float
    url: str
    expires_at: str


class ClipList(BaseModel):
    items: list[ClipOut]


@bp.post("/sessions/<int:session_id>/clips")
@operation(
    "The fan uploads a practice clip before the start (multipart, field `file`)",
    tag="coaching",
    responses={201: ClipCreatedOut},
    errors=(403, 404, 409, 413),
)
def upload_clip(session_id: int):
    user = require_user()
    upload = request.files.get("file")
    chosen = upload is not None and bool(upload.filename)
    clip = clips.upload_clip(user, session_id, upload.stream if chosen else None, upload.filename if chosen else "")
    return jsonify({"id": clip.id, "status": "ready", "duration_seconds": clip.duration_seconds}), 201


@bp.get("/sessions/<int:session_id>/clips")
@operation("A session's clips with short-lived signed links", tag="coaching", responses={200: ClipList}, errors=(404,))
def list_clips(session_id: int):
    user = require_user()
    items = [
        {
            "id": shown.clip.id,
            "duration_seconds": shown.clip.duration_seconds,
            "url": url_for("coaching.clip_media", clip_id=shown.clip.id, sig=shown.sig, _external=True),
            "expires_at": iso_utc(shown.expires_at),
        }
        for shown in clips.clips_of(user, session_id)
    ]
    return jsonify({"items": items})
