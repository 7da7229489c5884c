"""Session recordings: every way of looking at one (syncing them from the provider is recording_sync.py).

Recordings stay in the provider's storage (or the bucket configured there), never public. The
app keeps a row per recording (provider id, status, duration, storage key) and the transcript
as WebVTT captions. Media is reached only through a short-lived URL signed for one viewer and
one purpose after an authorization check; opening it logs the access and redirects to a fresh
provider link, asked for at that moment and never stored. Captions are served from our own
origin, as the <track> element requires.

A recording is kept only if both participants consented to recording: one that arrives without
both consents (a race with a withdrawal, a failed stop) is deleted at the provider.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from ...extensions import db
from ...integrations import video as video_provider
from ...models import (
    ConsentRecord,
    LiveSession,
    RecordingAccess,
    RecordingShareLink,
    SessionRecording,
    User,
    utcnow,
)
from ..access import require_admin, session_for_participant, session_for_viewer
from ..accounts import signing
from ..errors import NotAllowed, NotFound, ProviderUnavailable, WrongState

log = logging.getLogger(__name__)

FILE_PURPOSE = "recording-file"
READY, IN_PROGRESS, FAILED, DELETED = "ready", "in_progress", "failed", "deleted"


@dataclass(frozen=True)
class FileGrant:
    """Signed tokens for one viewer of one recording: for viewing in the page, download and captions."""

    view: str
    download: str
    captions: str | None
    expires_at: datetime


# What people are told when video is not configured: what is missing is for the operator, who
# finds it in the log and in /readyz (services/health.py), never in a page or an API answer.
NOT_CONFIGURED_MESSAGE = "Video calls are not available on this site right now. Please try again later."


def configured_provider() -> video_provider.VideoProvider:
    """The configured video provider, or a 503 that names nothing of the configuration."""
    try:
        return video_provider.provider()
    except video_provider.VideoNotConfigured as exc:
        log.error("video is not configured: %s", exc)
        raise ProviderUnavailable(NOT_CONFIGURED_MESSAGE, code="video_not_configured") from exc


# --- Looking at a recording ------------------------------------------------------------------


@dataclass(frozen=True)
class RecordingPart:
    """One recording of a session: each meeting in its room is one (people left and came back)."""

    recording: SessionRecording
    number: int  # 1, 2, … in the order the meetings were recorded
    count: int  # how many parts the session has

    @property
    def label(self) -> str:
        return "Recording" if self.count == 1 else f"Part {self.number} of {self.count}"


def parts_of_sessions(session_ids: list[int]) -> dict[int, list[RecordingPart]]:
    """Each session's recordings (a deleted one is not mentioned), numbered in the order they were made."""
    rows = db.session.scalars(
        select(SessionRecording)
        .where(SessionRecording.session_id.in_(session_ids), SessionRecording.status != DELETED)
        .order_by(SessionRecording.created_at, SessionRecording.id)
    )
    by_session: dict[int, list[SessionRecording]] = {}
    for recording in rows:
        by_session.setdefault(recording.session_id, []).append(recording)
    return {
        session_id: [RecordingPart(r, number, len(found)) for number, r in enumerate(found, 1)]
        for session_id, found in by_session.items()
    }


def main_part(parts: list[RecordingPart]) -> RecordingPart | None:
    """The part to point at when one is named: the latest ready one, else the latest."""
    return max(parts, key=lambda part: (part.recording.status == READY, part.number), default=None)


def recording_of_session(viewer: User, session_id: int) -> SessionRecording:
    """The session's main recording for a participant or an admin (NotFound when there is none)."""
    return _main_part(session_for_viewer(viewer, session_id).id).recording


def _main_part(session_id: int) -> RecordingPart:
    part = main_part(parts_of_sessions([session_id]).get(session_id, []))
    if part is None:
        raise NotFound("This session has no recording.", code="no_recording")
    return part


def grant_for(recording: SessionRecording, *, user_id: int | None = None, share_id: int | None = None) -> FileGrant:
    """Signed tokens (the caller checked who may see it); they expire after SIGNED_URL_SECONDS."""
    seconds = current_app.config["SIGNED_URL_SECONDS"]

    def token(action: str) -> str:
        return signing.sign(FILE_PURPOSE, {"r": recording.id, "u": user_id, "s": share_id, "a": action})

    return FileGrant(
        view=token("view"),
        download=token("download"),
        captions=token("captions") if recording.captions_vtt else None,
        expires_at=utcnow() + timedelta(seconds=seconds),
    )


def _open(recording_id: int, token: str, actions: tuple[str, ...]) -> tuple[SessionRecording, dict]:
    """Check a signed token and that its holder may still look; NotFound/NotAllowed otherwise."""
    grant = signing.unsign(FILE_PURPOSE, token, current_app.config["SIGNED_URL_SECONDS"])
    if not isinstance(grant, dict) or grant.get("r") != recording_id or grant.get("a") not in actions:
        raise NotAllowed("This link is not valid.", code="link_invalid")
    recording = db.session.get(SessionRecording, recording_id)
    if recording is None or recording.status != READY:
        raise NotFound("No such recording.")
    if grant.get("s") is not None:
        _active_share_link(recording, grant["s"])
    elif grant.get("u") is not None:
        user = db.session.get(User, grant["u"])
        if user is None:
            raise NotFound("No such recording.")
        session_for_viewer(user, recording.session_id)  # access may have ended since the link was made
    else:
        raise NotAllowed("This link is not valid.", code="link_invalid")
    return recording, grant


def _log(recording: SessionRecording, grant: dict, action: str) -> None:
    if grant.get("s") is not None:
        action = f"share_{action}"
    db.session.add(RecordingAccess(recording_id=recording.id, user_id=grant.get("u"), action=action[:16]))


def media_link(recording_id: int, token: str) -> str:
    """Where the holder of a view or download link gets the file now (logged)."""
    recording, grant = _open(recording_id, token, ("view", "download"))
    db.session.commit()
    try:
        link = configured_provider().recording_link(recording.provider_recording_id)
    except video_provider.VideoProviderError as exc:
        log.warning("access link for recording %s failed: %s", recording.provider_recording_id, exc)
        raise ProviderUnavailable("The recording cannot be reached right now. Please try again.") from exc
    recording = db.session.get(SessionRecording, recording_id)
    _log(recording, grant, grant["a"])
    db.session.commit()
    return link.url


def captions(recording_id: int, token: str) -> str:
    """The WebVTT captions for the holder of a captions link (logged)."""
    recording, grant = _open(recording_id, token, ("captions",))
    if not recording.captions_vtt:
        raise NotFound("This recording has no captions yet.")
    _log(recording, grant, "captions")
    db.session.commit()
    return recording.captions_vtt


@dataclass(frozen=True)
class ShownPart:
    """A part as one viewer sees it: with links signed for them once it is ready."""

    part: RecordingPart
    grant: FileGrant | None


def shown_parts(parts: list[RecordingPart], *, user_id: int | None = None, share_id: int | None = None):
    return [
        ShownPart(
            p, grant_for(p.recording, user_id=user_id, share_id=share_id) if p.recording.status == READY else None
        )
        for p in parts
    ]


def parts_for_viewer(viewer: User, session_id: int) -> tuple[LiveSession, list[ShownPart]]:
    """The session and every part of its recording, with links signed for a participant or an admin."""
    session = session_for_viewer(viewer, session_id)
    return session, shown_parts(parts_of_sessions([session.id]).get(session.id, []), user_id=viewer.id)


# --- Share links -----------------------------------------------------------------------------


def _digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def active_share_link(user: User, session_id: int, *, now: datetime | None = None) -> RecordingShareLink | None:
    """The player's current share link for the session's recording (every part of it), if any."""
    now = now or utcnow()
    session = session_for_viewer(user, session_id)
    return db.session.scalar(
        select(RecordingShareLink)
        .join(SessionRecording, SessionRecording.id == RecordingShareLink.recording_id)
        .where(
            SessionRecording.session_id == session.id,
            RecordingShareLink.revoked_at.is_(None),
            RecordingShareLink.expires_at > now,
        )
        .order_by(RecordingShareLink.created_at.desc())
        .limit(1)
    )


def create_share_link(user: User, session_id: int, *, now: datetime | None = None) -> tuple[RecordingShareLink, str]:
    """A new expiring link to the session's recording, every part of it (the player only, when both
    allowed sharing).

    Returns the row and the raw token, which is shown once; only its digest is stored. An earlier
    link is revoked, so there is one live link at a time. The row names the main part; the link
    opens every part of the session.
    """
    now = now or utcnow()
    session = session_for_participant(user, session_id, for_update=True)
    if session.participant_role(user.id) != "player":
        raise NotAllowed("Only the player can share the recording.", code="player_only")
    if not session.sharing_allowed:
        raise WrongState(
            "Both participants must allow sharing before the recording can be shared.", code="sharing_not_allowed"
        )
    recording = recording_of_session(user, session_id)
    if recording.status != READY:
        raise WrongState("The recording is not ready yet.", code="recording_not_ready")
    revoke_share_links_of_session(session.id, now)
    raw = secrets.token_urlsafe(32)
    link = RecordingShareLink(
        recording_id=recording.id,
        token_hash=_digest(raw),
        created_by_id=user.id,
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["VIDEO_SHARE_LINK_DAYS"]),
    )
    db.session.add(link)
    db.session.commit()
    return link, raw


def revoke_share_links(user: User, session_id: int, *, now: datetime | None = None) -> int:
    """The player withdraws every live link to the session's recording."""
    now = now or utcnow()
    session = session_for_participant(user, session_id)
    if session.participant_role(user.id) != "player":
        raise NotAllowed("Only the player can revoke share links.", code="player_only")
    count = revoke_share_links_of_session(session.id, now)
    db.session.commit()
    return count


def revoke_share_links_of_session(session_id: int, now: datetime) -> int:
    """Revoke in the caller's transaction (also used when a participant withdraws sharing)."""
    return _revoke(
        select(RecordingShareLink.id)
        .join(SessionRecording, SessionRecording.id == RecordingShareLink.recording_id)
        .where(SessionRecording.session_id == session_id),
        now,
    )


def _revoke(link_ids, now: datetime) -> int:
    result = db.session.execute(
        update(RecordingShareLink)
        .where(RecordingShareLink.id.in_(link_ids), RecordingShareLink.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _active_share_link(recording: SessionRecording, link_id: int) -> RecordingShareLink:
    """The live share link that opens this recording: one made for any part of its session."""
    link = db.session.get(RecordingShareLink, link_id)
    linked = db.session.get(SessionRecording, link.recording_id) if link is not None else None
    if (
        linked is None
        or linked.session_id != recording.session_id
        or link.revoked_at is not None
        or link.expires_at <= utcnow()
        or not recording.session.sharing_allowed
    ):
        raise NotFound("This share link has expired or was revoked.")
    return link


@dataclass(frozen=True)
class SharedView:
    """What a share link's holder sees: the session's ready parts, with links signed for the share link."""

    session: LiveSession
    parts: list[ShownPart]


def shared_view(raw_token: str) -> SharedView:
    """The session's recording behind a share link, while the link is live and sharing is still allowed."""
    link = db.session.scalar(
        select(RecordingShareLink).where(RecordingShareLink.token_hash == _digest(raw_token or ""))
    )
    linked = db.session.get(SessionRecording, link.recording_id) if link is not None else None
    if linked is None:
        raise NotFound("This share link has expired or was revoked.")
    _active_share_link(linked, link.id)
    found = parts_of_sessions([linked.session_id]).get(linked.session_id, [])
    parts = [p for p in found if p.recording.status == READY]
    if not parts:
        raise NotFound("This share link has expired or was revoked.")
    return SharedView(linked.session, shown_parts(parts, share_id=link.id))


# --- Oversight ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverseenRecording:
    recording: SessionRecording
    part: RecordingPart | None  # None for a deleted recording, which is no part of what people see
    accesses: int


def all_recordings(admin: User, *, page: int = 1, per_page: int = 50) -> tuple[list[OverseenRecording], int]:
    """Every recording with its part of the session and its number of accesses, newest first (admins only)."""
    require_admin(admin)
    accesses = (
        select(RecordingAccess.recording_id, func.count(RecordingAccess.id).label("n"))
        .group_by(RecordingAccess.recording_id)
        .subquery()
    )
    total = db.session.scalar(select(func.count(SessionRecording.id)))
    rows = db.session.execute(
        select(SessionRecording, func.coalesce(accesses.c.n, 0))
        .outerjoin(accesses, accesses.c.recording_id == SessionRecording.id)
        .order_by(SessionRecording.created_at.desc(), SessionRecording.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    parts = _parts_by_recording([row[0].session_id for row in rows])
    return [OverseenRecording(row[0], parts.get(row[0].id), row[1]) for row in rows], total or 0


def _parts_by_recording(session_ids: list[int]) -> dict[int, RecordingPart]:
    return {part.recording.id: part for found in parts_of_sessions(session_ids).values() for part in found}


@dataclass(frozen=True)
class Oversight:
    recording: SessionRecording
    part: RecordingPart | None
    consents: list[ConsentRecord]
    accesses: list[RecordingAccess]
    share_links: list[RecordingShareLink]


def oversight(admin: User, recording_id: int) -> Oversight:
    """One recording with the consent history, every access and the share links (admins only)."""
    require_admin(admin)
    recording = db.session.get(SessionRecording, recording_id)
    if recording is None:
        raise NotFound("No such recording.")
    consents = db.session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.session_id == recording.session_id)
        .order_by(ConsentRecord.created_at, ConsentRecord.id)
    ).all()
    accesses = db.session.scalars(
        select(RecordingAccess)
        .where(RecordingAccess.recording_id == recording.id)
        .order_by(RecordingAccess.created_at.desc(), RecordingAccess.id.desc())
    ).all()
    links = db.session.scalars(
        select(RecordingShareLink)
        .where(RecordingShareLink.recording_id == recording.id)
        .order_by(RecordingShareLink.created_at.desc())
    ).all()
    part = _parts_by_recording([recording.session_id]).get(recording.id)
    return Oversight(recording, part, list(consents), list(accesses), list(links))
