"""A test call on the demo: a player tries the video call with the demo fan at once.

Development only (TEST_CALLS_ALLOWED, set by DevelopmentConfig alone): elsewhere the action does
not exist (404). The session is an ordinary confirmed free booking of the demo fan with this
player, starting now (to the minute, so the room is already open) and lasting the player's
shortest lesson, with both consenting to recording. It respects what a booking respects that
still makes sense for "now": the player's and the demo fan's other sessions at that time, and the
player's buffer (weekly hours, notice and the booking window do not apply to a test).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import ConsentRecord, LiveSession, Profile, SessionStatus, User, utcnow
from ..access import require_player
from ..booking import lifecycle
from ..calendars import writes as calendar_writes
from ..demo_data import DEMO_FAN_EMAIL
from ..errors import NotFound, SlotUnavailable, WrongState
from ..notifications import outbox


def offered(user: User) -> bool:
    """Whether the dashboard offers this user "Start a test call now"."""
    return bool(current_app.config["TEST_CALLS_ALLOWED"]) and user.is_player


def start_test_call(player: User, *, now: datetime | None = None) -> LiveSession:
    """Book the demo fan with this player from now for the player's shortest lesson; the call can start at once."""
    if not current_app.config["TEST_CALLS_ALLOWED"]:
        raise NotFound("We could not find that page.")
    require_player(player)
    now = now or utcnow()
    fan = db.session.scalar(select(User).where(User.email == DEMO_FAN_EMAIL))
    if fan is None:
        raise WrongState(
            f"The demo fan ({DEMO_FAN_EMAIL}) is missing: run `flask seed-demo` first.", code="no_demo_fan"
        )
    minutes = _shortest_lesson(player)
    start = now.replace(second=0, microsecond=0)
    end = start + timedelta(minutes=minutes)

    for user_id in sorted((fan.id, player.id)):  # the same locks as a booking takes, in one order
        lifecycle.lock_user(user_id)
    player_busy = f"You have another session at this time; a test call needs you free for {minutes} minutes."
    if lifecycle.participant_busy(player.id, start, end, now):
        raise SlotUnavailable(player_busy)
    if lifecycle.participant_busy(fan.id, start, end, now):
        raise SlotUnavailable("The demo fan has another session at this time; try again once it is over.")
    session = LiveSession(
        fan_id=fan.id,
        player_id=player.id,
        starts_at=start,
        ends_at=end,
        blocked_until=end + timedelta(minutes=lifecycle.buffer_minutes(player.id)),
        duration_minutes=minutes,
        status=SessionStatus.CONFIRMED.value,
        price_amount=0,
        currency=db.session.get(Profile, player.id).currency,
        fan_recording_consent=True,
        player_recording_consent=True,
    )
    db.session.add(session)
    try:
        lifecycle.flush_or_slot_taken(session)  # the database's rule: the player's sessions and buffers never overlap
    except SlotUnavailable as exc:
        raise SlotUnavailable(player_busy) from exc
    db.session.add_all(
        ConsentRecord(session_id=session.id, user_id=user_id, kind="recording", granted=True, created_at=now)
        for user_id in (fan.id, player.id)
    )
    outbox.on_confirmed(session)
    calendar_writes.mark(session, now=now)
    db.session.commit()
    return session


def _shortest_lesson(player: User) -> int:
    profile = db.session.get(Profile, player.id)
    lengths = [offering.duration_minutes for offering in profile.offerings] if profile else []
    if not lengths:
        raise WrongState(
            "Add a lesson length in your profile first: a test call lasts your shortest lesson.", code="no_offering"
        )
    return min(lengths)
