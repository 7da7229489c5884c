"""The video provider's webhook: each verified event acted on once, from the provider's own record.

The view hands over the raw request; the provider's adapter verifies the signature and parses
the event, and a recording event is applied through recording_sync.apply_recording, as the
periodic sync applies what it finds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import select

from ...extensions import db
from ...integrations import video as video_provider
from ...models import LiveSession, utcnow
from ...tasks.queue import after_commit
from ..errors import ProviderUnavailable, ServiceError
from ..webhook_events import already_recorded, record_event_once
from . import recording_sync, recordings

log = logging.getLogger(__name__)


class InvalidWebhook(ServiceError):
    """Unsigned, badly signed, stale or malformed: answered 400 and nothing changes."""

    status = 400
    code = "invalid_webhook"


RECORDING_EVENTS = ("recording_started", "recording_ready", "recording_error")


def handle_webhook(headers: Mapping[str, str], raw_body: bytes) -> str:
    """Verify one provider event and act on it once. Returns processed, ignored, duplicate or check.

    A signed event is a hint, not a fact: the recording it names is read from the provider (no
    transaction open meanwhile) and only what the provider says is stored: the recording, its
    room (hence its session), status, duration and storage key, as the Stripe handler re-reads a
    Checkout Session. An event about a recording the provider does not know is recorded and
    answered 200 ("ignored"), changing nothing: the provider gives up on an endpoint that keeps
    failing (Daily stops sending after three failed deliveries), and a retry would not help.
    When the provider cannot be asked, the event is not recorded and answered 503, so its retry
    is applied later (the periodic sync catches up meanwhile).
    """
    provider = recordings.configured_provider()
    try:
        event = provider.parse_webhook(headers, raw_body)
    except video_provider.InvalidWebhook as exc:
        raise InvalidWebhook(str(exc)) from exc
    if event is None:
        return "check"
    if already_recorded(provider.name, event.id):
        return "duplicate"
    found = _recording_at_provider(provider, event) if event.kind in RECORDING_EVENTS else None
    record = record_event_once(provider.name, event.id, event.type)
    if record is None:
        return "duplicate"

    result = "processed"
    # A meeting ending (everyone left) changes nothing: people come back until the session's end.
    if event.kind in RECORDING_EVENTS:
        session = _session_by_room(found.room_name) if found else None
        if session is None:
            result = "ignored"
        else:
            recording_sync.apply_recording(session, found.id, found.status, found.duration_seconds, found.storage_key)
    elif event.kind == "transcript_ready":
        # Nothing of the event is stored: the sync reads the transcripts from the provider.
        # Daily names the room in some transcript events and not in others; sync what may need it.
        session = _session_by_room(event.room_name)
        if session is not None:
            after_commit("kendama.jobs.sync_session_recordings", session.id)
        else:
            after_commit("kendama.jobs.sync_video_recordings")
    record.processed_at = utcnow()
    db.session.commit()
    return result


def _recording_at_provider(
    provider: video_provider.VideoProvider, event: video_provider.VideoEvent
) -> video_provider.ProviderRecording | None:
    """The recording an event names, as the provider has it now; None when it knows no such recording."""
    if not event.recording_id:
        return None
    db.session.commit()  # no transaction (nor SQLite's write lock) is held while the provider answers
    try:
        found = provider.get_recording(event.recording_id)
    except video_provider.ProviderNotFound:
        log.warning("event %s names recording %r, which the provider does not know", event.id, event.recording_id)
        return None
    except video_provider.VideoProviderError as exc:
        log.warning("could not read recording %r for event %s: %s", event.recording_id, event.id, exc)
        raise ProviderUnavailable(
            "The video provider could not be asked about this recording; send the event again later."
        ) from exc
    if event.room_name != found.room_name:
        log.warning(
            "event %s says recording %s is in room %r; the provider says %r, which is believed",
            event.id,
            found.id,
            event.room_name,
            found.room_name,
        )
    return found


def _session_by_room(room_name: str | None) -> LiveSession | None:
    if not room_name:
        return None
    return db.session.scalar(select(LiveSession).where(LiveSession.room_name == room_name))
