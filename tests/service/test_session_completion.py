"""How a session ends, at its edges: completed at its end, ended by the player, or a no-show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from kendama.extensions import db
from kendama.models import LiveSession, utcnow
from kendama.services.errors import NotAllowed, WrongState
from kendama.services.video import calls

from ..support.factories import LiveSessionFactory
from ..support.row_locks import row_locks

pytestmark = pytest.mark.both_databases

START = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)
FAN, PLAYER = 1, 2


def plain(status: str = "in_progress", *, fan_joined: bool = False, start=START, end=END) -> SimpleNamespace:
    session = SimpleNamespace(
        status=status,
        starts_at=start,
        ends_at=end,
        fan_id=FAN,
        player_id=PLAYER,
        fan_joined_at=start if fan_joined else None,
    )
    session.participant_role = lambda user_id: {FAN: "fan", PLAYER: "player"}.get(user_id)
    return session


# --- At the end ------------------------------------------------------------------------------------


def test_only_sessions_in_progress_past_their_end_are_completed_at_their_end():
    running = LiveSessionFactory(status="in_progress")
    later = LiveSessionFactory(status="in_progress", starts_at=running.starts_at + timedelta(hours=2))
    later.ends_at = later.starts_at + timedelta(minutes=30)
    confirmed = LiveSessionFactory(starts_at=running.starts_at - timedelta(hours=3))
    db.session.commit()
    assert calls.finish_ended_sessions(now=running.ends_at) == 1
    assert calls.finish_ended_sessions(now=running.ends_at) == 0  # nothing left to do
    done = db.session.get(LiveSession, running.id)
    assert (done.status, done.completed_at) == ("completed", running.ends_at)
    assert db.session.get(LiveSession, later.id).status == "in_progress"
    assert db.session.get(LiveSession, confirmed.id).status == "confirmed"


def test_without_a_moment_sessions_are_completed_as_of_now():
    past = LiveSessionFactory(status="in_progress", starts_at=utcnow() - timedelta(hours=1))
    past.ends_at = past.blocked_until = past.starts_at + timedelta(minutes=30)
    db.session.commit()
    assert calls.finish_ended_sessions() == 1


# --- The player ends the lesson ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "status", "now", "may"),
    [
        (PLAYER, "in_progress", START, True),
        (PLAYER, "in_progress", END - timedelta(seconds=1), True),
        (PLAYER, "in_progress", START - timedelta(seconds=1), False),
        (PLAYER, "in_progress", END, False),
        (PLAYER, "confirmed", START + timedelta(minutes=5), False),
        (FAN, "in_progress", START + timedelta(minutes=5), False),
        (3, "in_progress", START + timedelta(minutes=5), False),
    ],
)
def test_the_end_button_is_for_the_player_while_the_lesson_is_on(app, user, status, now, may):
    assert calls.can_end_lesson(plain(status), user, now) is may


def test_the_end_button_judges_now_when_no_moment_is_given(app):
    start = utcnow() - timedelta(minutes=5)
    assert calls.can_end_lesson(plain(start=start, end=start + timedelta(minutes=30)), PLAYER)
    assert not calls.can_end_lesson(plain(start=start + timedelta(hours=1), end=start + timedelta(hours=2)), PLAYER)


@pytest.mark.parametrize(
    ("status", "now", "code", "message"),
    [
        ("cancelled", START, "session_cancelled", "This session was cancelled."),
        ("completed", START, "session_ended", "This lesson has already ended."),
        ("no_show", START, "session_ended", "This lesson has already ended."),
        ("in_progress", END, "session_ended", "This lesson has already ended."),
        ("in_progress", START - timedelta(seconds=1), "too_early", "You can end the lesson once it has started."),
        (
            "confirmed",
            START,
            "not_started",
            "Nobody has joined the call yet. If the fan does not come, mark a no-show instead.",
        ),
    ],
)
def test_ending_a_lesson_that_is_not_on_says_why(app, status, now, code, message):
    with pytest.raises(WrongState) as refused:
        calls._check_endable(plain(status), now)
    assert (refused.value.code, refused.value.message) == (code, message)


def test_ending_the_lesson_completes_it_at_that_moment():
    session = LiveSessionFactory(status="in_progress")
    moment = session.starts_at + timedelta(minutes=7)
    ended = calls.end_lesson(session.player, session.id, now=moment)
    assert (ended.status, ended.completed_at) == ("completed", moment)
    with pytest.raises(NotAllowed) as fan:
        calls.end_lesson(session.fan, session.id, now=moment)
    assert (fan.value.code, fan.value.message) == ("player_only", "Only the player can end the lesson.")


# --- No-show ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "status", "fan_joined", "now", "may"),
    [
        (PLAYER, "confirmed", False, START, True),
        (PLAYER, "in_progress", False, START + timedelta(minutes=10), True),
        (PLAYER, "confirmed", False, START - timedelta(seconds=1), False),
        (PLAYER, "confirmed", True, START + timedelta(minutes=10), False),
        (PLAYER, "cancelled", False, START + timedelta(minutes=10), False),
        (FAN, "confirmed", False, START + timedelta(minutes=10), False),
    ],
)
def test_the_no_show_button_is_for_the_player_after_the_start_if_the_fan_never_came(
    app, user, status, fan_joined, now, may
):
    assert calls.can_mark_no_show(plain(status, fan_joined=fan_joined), user, now) is may


def test_the_no_show_button_judges_now_when_no_moment_is_given(app):
    start = utcnow() - timedelta(minutes=5)
    assert calls.can_mark_no_show(plain("confirmed", start=start, end=start + timedelta(minutes=30)), PLAYER)
    later = utcnow() + timedelta(hours=1)
    assert not calls.can_mark_no_show(plain("confirmed", start=later, end=later + timedelta(minutes=30)), PLAYER)


def test_a_no_show_is_recorded_at_its_moment():
    session = LiveSessionFactory()
    moment = session.starts_at
    marked = calls.mark_no_show(session.player, session.id, now=moment)
    assert (marked.status, marked.no_show_marked_at) == ("no_show", moment)


@pytest.mark.parametrize(
    ("who", "status", "offset", "error", "code", "message"),
    [
        ("fan", "confirmed", 5, NotAllowed, "player_only", "Only the player can mark that the fan did not come."),
        ("player", "cancelled", 5, WrongState, "wrong_state", "This session cannot be marked as a no-show."),
        ("player", "completed", 5, WrongState, "wrong_state", "This session cannot be marked as a no-show."),
        ("player", "confirmed", -1, WrongState, "too_early", "You can mark a no-show once the session has started."),
    ],
)
def test_a_no_show_that_cannot_be_marked_says_why(who, status, offset, error, code, message):
    session = LiveSessionFactory(status=status)
    with pytest.raises(error) as refused:
        calls.mark_no_show(getattr(session, who), session.id, now=session.starts_at + timedelta(minutes=offset))
    assert (refused.value.code, refused.value.message) == (code, message)
    assert db.session.get(LiveSession, session.id).status == status


def test_a_fan_who_joined_is_not_a_no_show():
    session = LiveSessionFactory(status="in_progress", fan_joined_at=None)
    session.fan_joined_at = session.starts_at
    db.session.commit()
    with pytest.raises(WrongState) as refused:
        calls.mark_no_show(session.player, session.id, now=session.starts_at + timedelta(minutes=5))
    assert (refused.value.code, refused.value.message) == ("fan_joined", "The fan joined this session.")


def test_ending_and_marking_a_no_show_lock_the_session_first(app):
    """A join, an end and a no-show racing on one session happen one after the other."""
    running, absent = LiveSessionFactory(status="in_progress"), LiveSessionFactory()
    with row_locks("sessions") as locks:
        calls.end_lesson(running.player, running.id, now=running.starts_at + timedelta(minutes=1))
        ended = len(locks)
        calls.mark_no_show(absent.player, absent.id, now=absent.starts_at + timedelta(minutes=1))
    assert (ended, len(locks)) == (1, 2)
