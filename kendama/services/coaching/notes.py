"""Coach notes: a player's timestamped notes on a lesson's recording, and markers dropped in the call.

Only the session's player writes them; the fan sees a note once the player publishes it, and
publishing tells the fan by email (one email per publish, listing what was published).
A note's time is a moment of one recording part. A marker is dropped during the call, before any
recording is ready, so its time is counted from when the current part (or the call) started;
a marker whose part is not known yet has no recording_id and belongs to the first part.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ...extensions import db
from ...models import CoachNote, LiveSession, SessionRecording, SessionStatus, Trick, User, utcnow
from ..access import session_for_viewer
from ..errors import InvalidInput, NotAllowed, NotFound, WrongState
from ..notifications import outbox

MAX_TEXT = 2000
NOTE, MARKER = "note", "marker"
PUBLISHED_KIND = "coach_notes_published"
_STARTED = (SessionStatus.IN_PROGRESS.value, SessionStatus.COMPLETED.value)
_READY, _IN_PROGRESS = "ready", "in_progress"


def add_note(
    player: User,
    session_id: int,
    at_seconds: int | None,
    text: str,
    trick_id: int | None = None,
    *,
    source: str = NOTE,
    recording_id: int | None = None,
    now: datetime | None = None,
) -> CoachNote:
    """Write a note (on a ready recording) or a marker (during the call); committed and returned."""
    now = now or utcnow()
    session = _session_for_player(player, session_id)
    if source not in (NOTE, MARKER):
        raise InvalidInput({"source": "Choose note or marker."})
    text = (text or "").strip() or ("Marker" if source == MARKER else "")
    if not text:
        raise InvalidInput({"text": "Write the note."})
    if len(text) > MAX_TEXT:
        raise InvalidInput({"text": f"Keep the note to {MAX_TEXT} characters."})
    if trick_id is not None:
        _active_trick(trick_id)
    if source == MARKER:
        recording_id, at_seconds = _marker_moment(session, at_seconds, now)
    else:
        recording_id = _note_moment(session, at_seconds, recording_id, now)
    note = CoachNote(
        session_id=session.id,
        author_id=player.id,
        recording_id=recording_id,
        at_seconds=at_seconds,
        text=text,
        trick_id=trick_id,
        source=source,
    )
    db.session.add(note)
    db.session.commit()
    return note


def publish_notes(player: User, session_id: int, *, now: datetime | None = None) -> int:
    """Publish every unpublished note of the session; returns how many. The fan gets one email."""
    now = now or utcnow()
    session = _session_for_player(player, session_id)
    notes = db.session.scalars(
        select(CoachNote).where(CoachNote.session_id == session.id, CoachNote.published_at.is_(None))
    ).all()
    for note in notes:
        note.published_at = now
    if notes:
        ids = sorted(note.id for note in notes)
        outbox.queue(
            session.fan_id,
            PUBLISHED_KIND,
            session_id=session.id,
            payload={"note_ids": ids},
            # The newest note published names the batch: publishing the same batch twice is harmless.
            dedupe_key=f"{PUBLISHED_KIND}:{session.id}:{ids[-1]}",
        )
    db.session.commit()
    return len(notes)


def notes_for_viewer(viewer: User, session_id: int) -> list[CoachNote]:
    """The notes a participant or an admin may see: the fan only published ones."""
    session = session_for_viewer(viewer, session_id)
    query = select(CoachNote).where(CoachNote.session_id == session.id)
    if viewer.id == session.fan_id:
        query = query.where(CoachNote.published_at.is_not(None))
    # A note without a recording belongs to the first part, so it sorts first.
    order = (func.coalesce(CoachNote.recording_id, 0), CoachNote.at_seconds, CoachNote.id)
    return list(db.session.scalars(query.order_by(*order)))


def delete_note(player: User, session_id: int, note_id: int) -> None:
    """Delete one of the session's notes (published or not)."""
    session = _session_for_player(player, session_id)
    note = db.session.get(CoachNote, note_id)
    if note is None or note.session_id != session.id:
        raise NotFound("No such note.")
    db.session.delete(note)
    db.session.commit()


def _session_for_player(user: User, session_id: int) -> LiveSession:
    session = session_for_viewer(user, session_id)
    if user.id != session.player_id:
        raise NotAllowed("Only the session's player writes coach notes.")
    return session


def _active_trick(trick_id: int) -> Trick:
    trick = db.session.get(Trick, trick_id)
    if trick is None or not trick.is_active:
        raise InvalidInput({"trick_id": "Choose a trick from the catalog."})
    return trick


def _note_moment(session: LiveSession, at_seconds: int | None, recording_id: int | None, now: datetime) -> int:
    """The ready recording the note is on; checks the time falls within it."""
    if session.status not in _STARTED or session.starts_at > now:
        raise WrongState("Notes can be written once the lesson has started.")
    recording = _ready_recording(session, recording_id)
    if at_seconds is None or at_seconds < 0:
        raise InvalidInput({"at_seconds": "Choose a moment of the recording."})
    # A ready recording whose length the provider did not tell is not bounded.
    if recording.duration_seconds is not None and at_seconds > recording.duration_seconds:
        raise InvalidInput({"at_seconds": "That moment is past the end of the recording."})
    return recording.id


def _ready_recording(session: LiveSession, recording_id: int | None) -> SessionRecording:
    query = select(SessionRecording).where(SessionRecording.session_id == session.id, SessionRecording.status == _READY)
    if recording_id is not None:
        recording = db.session.scalar(query.where(SessionRecording.id == recording_id))
        if recording is None:
            raise InvalidInput({"recording_id": "Choose a ready recording of this session."})
        return recording
    recording = db.session.scalar(query.order_by(SessionRecording.created_at, SessionRecording.id).limit(1))
    if recording is None:
        raise WrongState("There is no recording to write notes on yet.", code="no_recording")
    return recording


def _marker_moment(session: LiveSession, at_seconds: int | None, now: datetime) -> tuple[int | None, int]:
    """The recording part being made now (if known) and the marker's time in it."""
    if session.status != SessionStatus.IN_PROGRESS.value:
        raise WrongState("Markers can be dropped only during the lesson.")
    recording = db.session.scalar(
        select(SessionRecording)
        .where(SessionRecording.session_id == session.id, SessionRecording.status == _IN_PROGRESS)
        .order_by(SessionRecording.created_at.desc(), SessionRecording.id.desc())
        .limit(1)
    )
    if at_seconds is None:
        started = recording.created_at if recording else (session.started_at or session.starts_at)
        at_seconds = max(0, int((now - started).total_seconds()))
    elif at_seconds < 0:
        raise InvalidInput({"at_seconds": "Choose a moment of the lesson."})
    return (recording.id if recording else None), at_seconds
