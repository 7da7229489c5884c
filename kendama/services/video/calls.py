"""Live video for sessions: one private room each, join tokens, and the live states (consent: recording_consent.py).

A session's room opens `VIDEO_JOIN_EARLY_MINUTES` (10) before the start and closes at the end,
ejecting everyone; at most two people fit. Only the fan and the player get a token, scoped to
that room, that person and that window. Whether the call is recorded is decided per token from
the consent of both participants at join time; nobody can start a recording by hand.

Provider calls never run inside a database transaction that holds row locks: the session is
read, the call is made, then the row is locked and re-checked before anything is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Row, and_, bindparam, select, update

from ...extensions import db
from ...integrations import video as video_provider
from ...models import LiveSession, SessionStatus, User, utcnow
from ..access import participant_row, session_for_participant
from ..booking import no_shows
from ..errors import Conflict, NotAllowed, ProviderUnavailable, WrongState
from ..timezones import for_person
from ..wording import plural
from . import join_tokens, recording_consent, recordings

log = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = "The video service is not answering right now. Please try again in a minute."
# Statuses whose room may be entered inside the window. People leaving (everyone, a dropped
# connection, a reload) never ends a session: it stays in progress until its scheduled end
# (finish_ended_sessions), and a completed session is over for good.
JOINABLE = (SessionStatus.CONFIRMED.value, SessionStatus.IN_PROGRESS.value)


@dataclass(frozen=True)
class JoinGrant:
    """What a participant's page needs to enter the call."""

    room_url: str
    token: str
    expires_at: datetime
    recording: bool


provider = recordings.configured_provider


# --- Windows and rooms ---------------------------------------------------------------------


def opens_at(session: LiveSession | Row) -> datetime:
    return session.starts_at - timedelta(minutes=current_app.config["VIDEO_JOIN_EARLY_MINUTES"])


def window_open(session: LiveSession, now: datetime | None = None) -> bool:
    """True while the room may be entered (for the Join buttons)."""
    now = now or utcnow()
    return session.status in JOINABLE and opens_at(session) <= now < session.ends_at


def room_name_for(session: LiveSession | Row) -> str:
    """One room per session and schedule: a reschedule (new ics_sequence) gets a new room."""
    return f"{current_app.config['VIDEO_ROOM_PREFIX']}-{session.id}-{session.ics_sequence}"


def _create_room(session: LiveSession) -> video_provider.Room:
    spec = video_provider.RoomSpec(name=room_name_for(session), not_before=opens_at(session), expires=session.ends_at)
    try:
        return provider().create_room(spec)
    except video_provider.VideoProviderError as exc:
        log.warning("creating room %s failed: %s", spec.name, exc)
        raise ProviderUnavailable(UNAVAILABLE_MESSAGE, code="video_unavailable") from exc


def _lock(session_id: int) -> LiveSession:
    """The session row, locked and re-read (another request may have changed it meanwhile)."""
    return db.session.scalar(
        select(LiveSession)
        .where(LiveSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _store_room(session_id: int, sequence: int, room: video_provider.Room) -> LiveSession:
    """Save the room on the session unless the session was rescheduled while it was being made."""
    session = _lock(session_id)
    if session.ics_sequence != sequence:
        db.session.rollback()
        raise Conflict("The session was changed just now. Please try again.", code="session_changed")
    session.room_name = room.name
    session.room_url = room.url
    return session


def ensure_room(session_id: int) -> LiveSession:
    """Create the session's room if it has none for its current schedule (idempotent)."""
    session = db.session.get(LiveSession, session_id)
    if session.room_url and session.room_name == room_name_for(session):
        return session
    sequence = session.ics_sequence
    db.session.commit()  # no transaction stays open across the provider call
    room = _create_room(db.session.get(LiveSession, session_id))
    session = _store_room(session_id, sequence, room)
    db.session.commit()
    return session


def prepare_rooms(*, now: datetime | None = None, limit: int = 200) -> int:
    """Periodic: create the rooms of sessions starting soon. Returns how many were made."""
    now = now or utcnow()
    lead = timedelta(minutes=current_app.config["VIDEO_ROOM_LEAD_MINUTES"])
    ids = db.session.scalars(
        select(LiveSession.id)
        .where(
            LiveSession.status.in_((SessionStatus.CONFIRMED.value, SessionStatus.IN_PROGRESS.value)),
            LiveSession.starts_at <= now + lead,
            LiveSession.ends_at > now,
            LiveSession.room_url.is_(None),
        )
        .order_by(LiveSession.starts_at)
        .limit(limit)
    ).all()
    db.session.commit()
    made = 0
    for session_id in ids:
        try:
            ensure_room(session_id)
            made += 1
        except (ProviderUnavailable, Conflict) as exc:  # the next run tries again; joining also makes it
            db.session.rollback()
            log.warning("room for session %s not made yet: %s", session_id, exc.message)
    return made


def cleanup_rooms(*, now: datetime | None = None, limit: int = 200) -> int:
    """Periodic: delete rooms once their session is over (after a pause for recordings to settle).

    The room's name stays on the session (only the URL is cleared), so late webhooks and the
    recording sync still find the session.
    """
    now = now or utcnow()
    keep = timedelta(minutes=current_app.config["VIDEO_ROOM_KEEP_MINUTES"])
    rows = db.session.execute(
        select(LiveSession.id, LiveSession.room_name)
        .where(
            LiveSession.room_url.is_not(None),
            (LiveSession.ends_at <= now - keep)
            | LiveSession.status.in_((SessionStatus.CANCELLED.value, SessionStatus.NO_SHOW.value)),
        )
        .limit(limit)
    ).all()
    db.session.commit()
    deleted = 0
    for session_id, room_name in rows:
        try:
            provider().delete_room(room_name)
        except (video_provider.VideoProviderError, ProviderUnavailable) as exc:
            log.warning("deleting room %s failed; will retry: %s", room_name, exc)
            continue
        db.session.execute(
            update(LiveSession)
            .where(LiveSession.id == session_id, LiveSession.room_name == room_name)
            .values(room_url=None)
        )
        db.session.commit()
        deleted += 1
    return deleted


# --- Joining -------------------------------------------------------------------------------


def _check_joinable(session: LiveSession | Row, now: datetime, zone_name: str) -> None:
    """Refuse a join outside the room's window; times in the refusal are on `zone_name`'s clock."""
    if session.status == SessionStatus.CANCELLED.value:
        raise WrongState("This session was cancelled.", code="session_cancelled")
    if session.status == SessionStatus.PENDING_PAYMENT.value:
        raise WrongState(
            "This session is waiting for payment; the room opens once it is confirmed.", code="payment_pending"
        )
    if session.status not in JOINABLE or now >= session.ends_at:
        raise WrongState("This session has ended.", code="session_ended")
    if now < opens_at(session):
        raise WrongState(
            f"The room opens {plural(current_app.config['VIDEO_JOIN_EARLY_MINUTES'], 'minute')} before the start, "
            f"at {for_person(opens_at(session), zone_name)}.",
            code="too_early",
        )


_sessions = LiveSession.__table__
# What a join reads, as one plain row: most joins are repeats that read nothing else, and loading
# the whole session as an ORM object took about 60% more CPU than this row. recording_allowed is
# LiveSession.recording_allowed, worked out by the database.
_JOIN_STATE = select(
    _sessions.c.id,
    _sessions.c.fan_id,
    _sessions.c.player_id,
    _sessions.c.status,
    _sessions.c.starts_at,
    _sessions.c.ends_at,
    _sessions.c.ics_sequence,
    _sessions.c.room_name,
    _sessions.c.room_url,
    _sessions.c.fan_joined_at,
    _sessions.c.player_joined_at,
    _sessions.c.started_at,
    and_(_sessions.c.fan_recording_consent, _sessions.c.player_recording_consent).label("recording_allowed"),
).where(_sessions.c.id == bindparam("session_id"))


def join(user: User, session_id: int, *, now: datetime | None = None) -> JoinGrant:
    """A meeting token for the fan or the player, inside the window; the session goes in progress.

    Joining again (a reload, a dropped connection) gets the token issued before when nothing it
    was made from has changed (see join_tokens), and writes nothing when the session already
    shows this participant joined.
    """
    now = now or utcnow()
    session: LiveSession | Row = participant_row(user, session_id, _JOIN_STATE)
    _check_joinable(session, now, user.timezone)
    role = "fan" if user.id == session.fan_id else "player"  # participant_row let in no one else
    user_id, user_name = user.id, user.display_name  # read now: a commit expires loaded rows
    if not (session.room_url and session.room_name == room_name_for(session)):
        session = ensure_room(session_id)
    room_url = session.room_url
    request = _token_request(session, user_id, user_name, role)
    token = join_tokens.cached(request, now)
    if token is None:
        db.session.commit()  # the token request runs outside any transaction
        token = _issue_token(request)
        _record_join(session_id, request.ics_sequence, role, now)  # re-checks what the call may have missed
        join_tokens.remember(request, token, now)
    elif not _join_recorded(session, role):
        _record_join(session_id, request.ics_sequence, role, now)
    return JoinGrant(room_url=room_url, token=token, expires_at=request.expires, recording=request.record)


def _token_request(session: LiveSession | Row, user_id: int, user_name: str, role: str) -> join_tokens.TokenRequest:
    return join_tokens.TokenRequest(
        session_id=session.id,
        ics_sequence=session.ics_sequence,
        room_name=session.room_name,
        user_id=user_id,
        user_name=user_name,
        is_owner=role == "player",
        record=session.recording_allowed,
        not_before=opens_at(session),
        expires=session.ends_at,
    )


def _issue_token(request: join_tokens.TokenRequest) -> str:
    try:
        return provider().join_token(
            request.room_name,
            user_id=str(request.user_id),
            user_name=request.user_name,
            is_owner=request.is_owner,
            not_before=request.not_before,
            expires=request.expires,
            record=request.record,
        )
    except video_provider.VideoProviderError as exc:
        log.warning("meeting token for session %s failed: %s", request.session_id, exc)
        raise ProviderUnavailable(UNAVAILABLE_MESSAGE, code="video_unavailable") from exc


def _record_join(session_id: int, sequence: int, role: str, now: datetime) -> None:
    """Mark the participant joined, unless the session was rescheduled or closed meanwhile."""
    session = _lock(session_id)
    if session.ics_sequence != sequence or session.status not in JOINABLE:
        db.session.rollback()
        raise Conflict("The session was changed just now. Please reload and try again.", code="session_changed")
    _mark_joined(session, role, now)
    db.session.commit()


def _join_recorded(session: LiveSession | Row, role: str) -> bool:
    """True when _mark_joined would change nothing: this participant joined and the call is on."""
    joined_at = session.fan_joined_at if role == "fan" else session.player_joined_at
    return (
        joined_at is not None and session.started_at is not None and session.status == SessionStatus.IN_PROGRESS.value
    )


def _mark_joined(session: LiveSession, role: str, now: datetime) -> None:
    if role == "fan" and session.fan_joined_at is None:
        session.fan_joined_at = now
    if role == "player" and session.player_joined_at is None:
        session.player_joined_at = now
    if session.started_at is None:
        session.started_at = now
    if session.status != SessionStatus.IN_PROGRESS.value:
        session.status = SessionStatus.IN_PROGRESS.value


# --- Ending --------------------------------------------------------------------------------


def finish_ended_sessions(*, now: datetime | None = None) -> int:
    """Periodic: sessions in progress whose end has passed are completed (the room has closed)."""
    now = now or utcnow()
    result = db.session.execute(
        update(LiveSession)
        .where(LiveSession.status == SessionStatus.IN_PROGRESS.value, LiveSession.ends_at <= now)
        .values(status=SessionStatus.COMPLETED.value, completed_at=LiveSession.ends_at)
    )
    db.session.commit()
    return result.rowcount or 0


def can_end_lesson(session: LiveSession, user_id: int, now: datetime | None = None) -> bool:
    """Whether end_lesson would accept this user now (for the join page)."""
    now = now or utcnow()
    return (
        session.participant_role(user_id) == "player"
        and session.status == SessionStatus.IN_PROGRESS.value
        and session.starts_at <= now < session.ends_at
    )


def end_lesson(user: User, session_id: int, *, now: datetime | None = None) -> LiveSession:
    """The player ends the lesson after its start: it is completed now and its room closes for both.

    Nobody can rejoin: joining refuses a completed session, and the provider's room stops admitting
    anyone (a token already handed out included) and ejects whoever is still in it.
    """
    now = now or utcnow()
    session = session_for_participant(user, session_id, for_update=True)
    if session.participant_role(user.id) != "player":
        raise NotAllowed("Only the player can end the lesson.", code="player_only")
    _check_endable(session, now)
    session.status = SessionStatus.COMPLETED.value
    session.completed_at = now
    db.session.commit()
    _close_room(session)
    return session


def _check_endable(session: LiveSession, now: datetime) -> None:
    if session.status == SessionStatus.CANCELLED.value:
        raise WrongState("This session was cancelled.", code="session_cancelled")
    if session.status in (SessionStatus.COMPLETED.value, SessionStatus.NO_SHOW.value) or now >= session.ends_at:
        raise WrongState("This lesson has already ended.", code="session_ended")
    if now < session.starts_at:
        raise WrongState("You can end the lesson once it has started.", code="too_early")
    if session.status != SessionStatus.IN_PROGRESS.value:
        raise WrongState(
            "Nobody has joined the call yet. If the fan does not come, mark a no-show instead.", code="not_started"
        )


def _close_room(session: LiveSession) -> None:
    """Best effort: if the provider cannot be reached, the room still closes at the session's end, and
    nobody gets a new token for it meanwhile."""
    if not session.room_name:
        return
    try:
        provider().close_room(session.room_name, user_ids=[str(session.fan_id), str(session.player_id)])
    except (video_provider.VideoProviderError, ProviderUnavailable) as exc:
        log.warning("closing room %s after the lesson ended failed: %s", session.room_name, exc)


def can_mark_no_show(session: LiveSession, user_id: int, now: datetime | None = None) -> bool:
    """Whether mark_no_show would accept this user now (for the join page and the dashboard)."""
    now = now or utcnow()
    return (
        session.participant_role(user_id) == "player"
        and session.status in JOINABLE
        and now >= session.starts_at
        and session.fan_joined_at is None
    )


def mark_no_show(user: User, session_id: int, statement: str = "", *, now: datetime | None = None) -> LiveSession:
    """The player records that the fan did not come (only after the start, only if the fan never
    joined); the report keeps the player's words (booking/no_shows.py has the fan's side)."""
    now = now or utcnow()
    session = session_for_participant(user, session_id, for_update=True)
    if session.participant_role(user.id) != "player":
        raise NotAllowed("Only the player can mark that the fan did not come.", code="player_only")
    if session.status not in JOINABLE:
        raise WrongState("This session cannot be marked as a no-show.", code="wrong_state")
    if now < session.starts_at:
        raise WrongState("You can mark a no-show once the session has started.", code="too_early")
    if session.fan_joined_at is not None:
        raise WrongState("The fan joined this session.", code="fan_joined")
    no_shows.record_fan_absent(session, user, statement, now)
    session.status = SessionStatus.NO_SHOW.value
    session.no_show_marked_at = now
    db.session.commit()
    return session


# --- The join page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CallPage:
    """Everything the join page shows, decided here so the page and the API agree."""

    session: LiveSession
    role: str
    other: User
    opens_at: datetime
    window_open: bool
    ended: bool
    consent: recording_consent.ConsentState
    sharing_offer: str | None  # "allow" or "withdraw" once consent to recording is locked (see sharing_offer)
    can_mark_no_show: bool
    no_show: no_shows.NoShowState  # the fan's report of an absent player, the player's dispute
    offers_end_lesson: bool  # the player's "End the lesson", shown once the call is on (see can_end_lesson)
    can_end_lesson: bool
    call_frame: video_provider.CallFrame  # how the page embeds the provider's call, and the script it loads


def call_page(user: User, session_id: int, *, now: datetime | None = None) -> CallPage:
    now = now or utcnow()
    session = session_for_participant(user, session_id)
    role = session.participant_role(user.id)
    return CallPage(
        session=session,
        role=role,
        other=session.player if role == "fan" else session.fan,
        opens_at=opens_at(session),
        window_open=window_open(session, now),
        ended=now >= session.ends_at or session.status not in JOINABLE,
        consent=recording_consent.consent_state(session, now=now),
        sharing_offer=recording_consent.sharing_offer(session, user.id, now),
        can_mark_no_show=can_mark_no_show(session, user.id, now),
        no_show=no_shows.state_for(session, user.id, now),
        offers_end_lesson=role == "player" and window_open(session, now),
        can_end_lesson=can_end_lesson(session, user.id, now),
        call_frame=video_provider.call_frame(),
    )
