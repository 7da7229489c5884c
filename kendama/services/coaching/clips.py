"""Practice clips: up to two short videos a fan uploads before the lesson, private to the two
participants and administrators, reached through short-lived signed links, every view logged.

Uploads arrive as a stream (werkzeug spools big request bodies to disk), are copied to a scratch
file under a size cap, decoded to check them (clip_checks), and only then put in storage; a
refused clip leaves nothing behind.
"""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import func, select

from ...extensions import db
from ...integrations.storage import current_storage
from ...models import ClipAccess, LiveSession, PracticeClip, SessionStatus, User, utcnow
from ..access import session_for_viewer
from ..accounts import signing
from ..errors import Conflict, InvalidInput, NotAllowed, NotFound, WrongState

MAX_CLIPS = 2
CLIP_PURPOSE = "clip"
UPLOADABLE = (SessionStatus.PENDING_PAYMENT.value, SessionStatus.CONFIRMED.value)


@dataclass(frozen=True)
class ShownClip:
    clip: PracticeClip
    sig: str  # signs the app's link (coaching.clip_media) for this viewer
    expires_at: datetime


def _max_bytes() -> int:
    return current_app.config["CLIP_MAX_BYTES"]


def upload_clip(
    fan: User, session_id: int, stream: BinaryIO | None, filename: str, *, now: datetime | None = None
) -> PracticeClip:
    """Check and store one clip for the fan's upcoming session (422 / 409 / 403 otherwise)."""
    now = now or utcnow()
    session = _session_for_upload(fan, session_id, now)
    if stream is None:
        raise InvalidInput({"file": "Choose a clip to upload."})
    from . import clip_checks  # PyAV loads only when a clip arrives: the app starts without it

    scratch = Path(tempfile.mkdtemp(prefix="kendama-clip-"))
    try:
        path = clip_checks.receive_upload(stream, scratch, max_bytes=_max_bytes())
        checked = clip_checks.check_clip(
            path, max_seconds=current_app.config["CLIP_MAX_SECONDS"], max_bytes=_max_bytes()
        )
        key = f"clips/{session.id}/{secrets.token_urlsafe(16)}.{checked.extension}"
        current_storage().put_file(key, path, checked.content_type)
        size = path.stat().st_size
    finally:
        for leftover in scratch.iterdir():
            leftover.unlink(missing_ok=True)
        scratch.rmdir()
    clip = PracticeClip(
        session_id=session.id,
        uploader_id=fan.id,
        storage_key=key,
        content_type=checked.content_type,
        size_bytes=size,
        duration_seconds=round(checked.duration_seconds, 2),
        width=checked.width,
        height=checked.height,
        filename=(filename or "")[:255],
    )
    db.session.add(clip)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_storage().delete(key)  # the row never came to be: neither does the file
        raise
    return clip


def _session_for_upload(fan: User, session_id: int, now: datetime) -> LiveSession:
    session = session_for_viewer(fan, session_id, for_update=True)
    if fan.id != session.fan_id:
        raise NotAllowed("Only the session's fan uploads practice clips.")
    if session.status not in UPLOADABLE or session.starts_at <= now:
        raise WrongState("Clips can be uploaded until the session starts.", code="session_started")
    count = db.session.scalar(
        select(func.count()).select_from(PracticeClip).where(PracticeClip.session_id == session.id)
    )
    if count >= MAX_CLIPS:
        raise Conflict(
            f"A session takes at most {MAX_CLIPS} clips; delete one to upload another.", code="too_many_clips"
        )
    return session


def clips_of(viewer: User, session_id: int, *, now: datetime | None = None) -> list[ShownClip]:
    """The session's clips with links signed for this viewer (participants and admins)."""
    session = session_for_viewer(viewer, session_id)
    now = now or utcnow()
    expires = now + timedelta(seconds=current_app.config["SIGNED_URL_SECONDS"])
    query = select(PracticeClip).where(PracticeClip.session_id == session.id).order_by(PracticeClip.id)
    return [
        ShownClip(
            clip,
            signing.sign(CLIP_PURPOSE, {"c": clip.id, "u": viewer.id}),
            expires,
        )
        for clip in db.session.scalars(query)
    ]


@dataclass(frozen=True)
class ClipFile:
    clip: PracticeClip
    redirect_url: str | None  # storage's own short-lived link, or None: the local file below
    local_path: Path | None


def open_clip(clip_id: int, token: str) -> ClipFile:
    """Check a signed link and that its holder may still see the clip; log the view."""
    grant = signing.unsign(CLIP_PURPOSE, token, current_app.config["SIGNED_URL_SECONDS"])
    clip = db.session.get(PracticeClip, clip_id)
    if clip is None or grant.get("c") != clip_id:
        raise NotFound("No such clip.")
    viewer = db.session.get(User, grant.get("u"))
    if viewer is None:
        raise NotFound("No such clip.")
    session_for_viewer(viewer, clip.session_id)  # still a participant or an admin
    db.session.add(ClipAccess(clip_id=clip.id, session_id=clip.session_id, user_id=viewer.id, action="view"))
    db.session.commit()
    storage = current_storage()
    url = storage.url_for_viewer(
        clip.storage_key, expires_seconds=current_app.config["SIGNED_URL_SECONDS"], filename=clip.filename or None
    )
    return ClipFile(clip, url, None if url else storage.open_local(clip.storage_key))


def delete_clip(fan: User, session_id: int, clip_id: int) -> None:
    """The fan takes a clip back (until the start, like uploading)."""
    session = session_for_viewer(fan, session_id)
    if fan.id != session.fan_id:
        raise NotAllowed("Only the session's fan deletes practice clips.")
    clip = db.session.get(PracticeClip, clip_id)
    if clip is None or clip.session_id != session.id:
        raise NotFound("No such clip.")
    db.session.delete(clip)
    db.session.commit()
    current_storage().delete(clip.storage_key)


def delete_session_clips(session_id: int) -> int:
    """Delete every clip of a session, files first: a file that failed to go keeps its row, so
    the sweep below tries again (a cancelled lesson's clips have no purpose left, and are private)."""
    clips = list(db.session.scalars(select(PracticeClip).where(PracticeClip.session_id == session_id)))
    for clip in clips:
        current_storage().delete(clip.storage_key)
        db.session.delete(clip)
    db.session.commit()
    return len(clips)


def sessions_with_orphaned_clips() -> list[int]:
    """Cancelled sessions that still hold clips (their deletion job was lost, or failed)."""
    query = (
        select(PracticeClip.session_id)
        .join(LiveSession, LiveSession.id == PracticeClip.session_id)
        .where(LiveSession.status == SessionStatus.CANCELLED.value)
        .distinct()
    )
    return list(db.session.scalars(query))
