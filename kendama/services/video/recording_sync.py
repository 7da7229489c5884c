"""Bringing the app's recordings up to date with the provider: from its webhook or the periodic sync.

`apply_recording` is the one way a provider recording becomes (or changes) a row; the webhook
(webhooks.py) calls it for the recording an event names, the sync for every recording of a
room. The row never moves backwards, and a recording without both consents is deleted at the
provider. Captions are fetched by the sync once a recording is ready.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import LiveSession, SessionRecording, SessionStatus, utcnow
from ...tasks.queue import after_commit
from ..notifications import outbox
from .recordings import DELETED, FAILED, IN_PROGRESS, READY, configured_provider

log = logging.getLogger(__name__)

SYNC_DAYS = 3  # how far back the periodic sync looks for recordings still settling


def apply_recording(
    session: LiveSession,
    provider_id: str,
    status: str,
    duration: int | None = None,
    storage_key: str | None = None,
) -> SessionRecording:
    """Create or update the row for a provider recording (never moving it backwards).

    A new row starts in progress, so a recording first seen ready (its earlier events lost, or
    read after the call ended) is announced, or discarded without both consents, like any other.
    """
    recording = _locked_recording(provider_id)
    if recording is None:
        try:
            with db.session.begin_nested():
                recording = SessionRecording(
                    session_id=session.id,
                    provider=configured_provider().name,
                    provider_recording_id=provider_id,
                    status=IN_PROGRESS,
                )
                db.session.add(recording)
        except IntegrityError:  # the sync job and a webhook raced; the other one created it
            recording = _locked_recording(provider_id)
    if recording.status in (DELETED, FAILED) or (recording.status == READY and status == IN_PROGRESS):
        return recording
    newly_ready = status == READY and recording.status != READY
    recording.status = status
    if duration is not None:
        recording.duration_seconds = duration
    if storage_key:
        recording.storage_key = storage_key
    if newly_ready:
        recording.ready_at = utcnow()
        if not session.recording_allowed:
            _discard(recording)
        else:
            outbox.on_recording_ready(session)
            after_commit("kendama.jobs.sync_session_recordings", session.id)  # its captions
    return recording


def _locked_recording(provider_id: str) -> SessionRecording | None:
    return db.session.scalar(
        select(SessionRecording).where(SessionRecording.provider_recording_id == provider_id).with_for_update()
    )


def _discard(recording: SessionRecording) -> None:
    """A recording without both consents is not kept: deleted at the provider after the commit."""
    log.warning("recording %s arrived without both consents; deleting it", recording.provider_recording_id)
    recording.status = DELETED
    after_commit("kendama.jobs.delete_provider_recording", recording.provider_recording_id)


def delete_at_provider(provider_recording_id: str) -> None:
    """Job: delete a discarded recording from the provider's storage."""
    configured_provider().delete_recording(provider_recording_id)


# --- The sync ------------------------------------------------------------------------------


def sync_session(session_id: int) -> None:
    """Bring the session's recordings and captions up to date from the provider."""
    session = db.session.get(LiveSession, session_id)
    if session is None or not session.room_name:
        return
    room_name = session.room_name
    db.session.commit()
    provider = configured_provider()
    found = provider.list_recordings(room_name)
    session = db.session.get(LiveSession, session_id)
    for item in found:
        apply_recording(session, item.id, item.status, item.duration_seconds, item.storage_key)
    db.session.commit()
    _sync_captions(session_id, room_name, {item.id: item.meeting_id for item in found})


def _sync_captions(session_id: int, room_name: str, meetings_by_recording: dict[str, str | None]) -> None:
    waiting = db.session.scalars(
        select(SessionRecording).where(
            SessionRecording.session_id == session_id,
            SessionRecording.status == READY,
            SessionRecording.captions_vtt.is_(None),
        )
    ).all()
    if not waiting:
        return
    db.session.commit()
    provider = configured_provider()
    transcripts = [t for t in provider.list_transcripts(room_name) if t.status == READY]
    for recording in waiting:
        meeting = meetings_by_recording.get(recording.provider_recording_id)
        matches = [t for t in transcripts if meeting and t.meeting_id == meeting]
        if not matches and len(transcripts) == 1 and len(waiting) == 1:
            matches = transcripts  # one call, one transcript: they belong together
        if not matches:
            continue
        text = provider.transcript_text(matches[0].id)
        db.session.execute(
            update(SessionRecording)
            .where(SessionRecording.id == recording.id, SessionRecording.captions_vtt.is_(None))
            .values(captions_vtt=text, provider_transcript_id=matches[0].id)
        )
        db.session.commit()


def sessions_to_sync(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Recent sessions that were recorded and may still have recordings or captions to fetch."""
    now = now or utcnow()
    settled = select(SessionRecording.session_id).where(
        SessionRecording.status == READY, SessionRecording.captions_vtt.is_not(None)
    )
    # A later part (people came back) may still be on its way when an earlier one has settled.
    unsettled = select(SessionRecording.session_id).where(
        (SessionRecording.status == IN_PROGRESS)
        | ((SessionRecording.status == READY) & SessionRecording.captions_vtt.is_(None))
    )
    ids = db.session.scalars(
        select(LiveSession.id)
        .where(
            LiveSession.room_name.is_not(None),
            LiveSession.fan_recording_consent.is_(True),
            LiveSession.player_recording_consent.is_(True),
            LiveSession.started_at.is_not(None),
            LiveSession.ends_at >= now - timedelta(days=SYNC_DAYS),
            LiveSession.status.in_((SessionStatus.IN_PROGRESS.value, SessionStatus.COMPLETED.value)),
            LiveSession.id.not_in(settled) | LiveSession.id.in_(unsettled),
        )
        .order_by(LiveSession.ends_at)
        .limit(limit)
    ).all()
    db.session.commit()
    return list(ids)
