"""The join window on its own: when the room is open, and what a refusal tells the person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from kendama.models import utcnow
from kendama.services.errors import WrongState
from kendama.services.video import calls

START = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)


def session(status: str = "confirmed", start: datetime = START, end: datetime = END) -> SimpleNamespace:
    return SimpleNamespace(status=status, starts_at=start, ends_at=end)


@pytest.mark.parametrize(
    ("now", "open_"),
    [
        (START - timedelta(minutes=10, seconds=1), False),
        (START - timedelta(minutes=10), True),  # the room opens ten minutes before the start
        (END - timedelta(seconds=1), True),
        (END, False),  # and closes at the end
    ],
)
def test_the_window_runs_from_ten_minutes_before_the_start_to_the_end(app, now, open_):
    assert calls.opens_at(session()) == START - timedelta(minutes=10)
    assert calls.window_open(session(), now) is open_


@pytest.mark.parametrize(
    ("status", "open_"),
    [("confirmed", True), ("in_progress", True), ("pending_payment", False), ("cancelled", False), ("no_show", False)],
)
def test_only_confirmed_or_running_sessions_are_open(app, status, open_):
    assert calls.window_open(session(status), START) is open_


def test_the_window_follows_the_configured_opening(app, monkeypatch):
    monkeypatch.setitem(app.config, "VIDEO_JOIN_EARLY_MINUTES", 3)
    assert calls.window_open(session(), START - timedelta(minutes=3))
    assert not calls.window_open(session(), START - timedelta(minutes=4))


def test_without_a_moment_the_window_is_judged_now(app):
    soon = utcnow() + timedelta(minutes=5)
    assert calls.window_open(session(start=soon, end=soon + timedelta(minutes=30)))
    later = utcnow() + timedelta(hours=1)
    assert not calls.window_open(session(start=later, end=later + timedelta(minutes=30)))


@pytest.mark.parametrize(
    ("status", "now", "code", "message"),
    [
        ("cancelled", START, "session_cancelled", "This session was cancelled."),
        (
            "pending_payment",
            START,
            "payment_pending",
            "This session is waiting for payment; the room opens once it is confirmed.",
        ),
        ("completed", START, "session_ended", "This session has ended."),
        ("confirmed", END, "session_ended", "This session has ended."),
        (
            "confirmed",
            START - timedelta(minutes=11),  # 16:49 UTC, 17:49 in London
            "too_early",
            "The room opens 10 minutes before the start, at Mon 01 Jun 2026, 17:50 (Europe/London).",
        ),
    ],
)
def test_a_refused_join_says_why_on_the_persons_clock(app, status, now, code, message):
    with pytest.raises(WrongState) as refused:
        calls._check_joinable(session(status), now, "Europe/London")
    assert (refused.value.code, refused.value.message) == (code, message)


def test_a_one_minute_opening_is_said_in_the_singular(app, monkeypatch):
    monkeypatch.setitem(app.config, "VIDEO_JOIN_EARLY_MINUTES", 1)
    with pytest.raises(WrongState) as refused:
        calls._check_joinable(session(), START - timedelta(minutes=2), "UTC")
    assert refused.value.message == "The room opens 1 minute before the start, at Mon 01 Jun 2026, 16:59 (UTC)."


@pytest.mark.parametrize("now", [START - timedelta(minutes=10), START, END - timedelta(seconds=1)])
def test_inside_the_window_a_join_is_let_through(app, now):
    calls._check_joinable(session(), now, "UTC")
    calls._check_joinable(session("in_progress"), now, "UTC")
