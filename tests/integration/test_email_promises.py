"""No email promises what the policy or the clock refuses.

Join links come in the confirmation when no reminder will bring one; reschedule and cancel links
only while the policy allows them, decided when the email is composed; an unpaid hold ends at the
session's start at the latest, and "complete your payment" waits a few minutes, so a fan who
pays at once never gets it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from kendama import jobs
from kendama.extensions import db, mail
from kendama.models import Notification, utcnow
from kendama.services.booking import lifecycle
from kendama.services.notifications import links as email_links
from kendama.services.notifications import outbox
from kendama.tasks.queue import dispatch_committed

from ..conftest import recipient
from ..support.booking_helpers import mark_paid, weekday_at
from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def session_starting_in(delta: timedelta, **fields):
    starts = (utcnow() + delta).replace(microsecond=0)
    return LiveSessionFactory(
        starts_at=starts, ends_at=starts + timedelta(minutes=30), blocked_until=starts + timedelta(minutes=30), **fields
    )


def confirmation_to(session, user):
    """The booking_confirmed email to `user`, composed now as the worker would."""
    with mail.record_messages() as sent:
        outbox.on_confirmed(session)
        db.session.commit()
        dispatch_committed()
    (message,) = [m for m in sent if recipient(m) == user.email]
    return message


def links(message, path: str) -> list[str]:
    return re.findall(rf'href="(http://localhost[^"]*{path}\?t=[^"]+)"', message.html)


def test_a_session_booked_inside_the_reminder_lead_time_gets_its_join_link_in_the_confirmation():
    session = session_starting_in(timedelta(minutes=40))
    message = confirmation_to(session, session.fan)
    (join,) = links(message, f"/sessions/{session.id}/join")
    assert join.replace("&amp;", "&") in message.body
    email_links.check_action_token("join", parse_qs(urlsplit(join).query)["t"][0], session.id, session.fan_id)
    opens = (session.starts_at - timedelta(minutes=10)).astimezone(ZoneInfo("Europe/Prague"))
    opening = f"video room opens at {opens:%a %d %b %Y, %H:%M} (Europe/Prague)"
    assert opening in message.body and opening in message.html
    assert "We will email you a join link" not in message.body
    assert [n.kind for n in db.session.scalars(db.select(Notification).where(Notification.kind == "reminder_1h"))] == []


def test_a_later_session_leaves_the_join_link_to_its_reminder():
    session = session_starting_in(timedelta(days=3))
    message = confirmation_to(session, session.fan)
    assert links(message, f"/sessions/{session.id}/join") == []
    assert "We will email you a join link an hour before the start." in message.body


def test_without_reminders_the_confirmation_carries_the_join_link_only_when_it_lasts_to_the_end():
    lifetime = timedelta(seconds=2 * 24 * 3600)  # EMAIL_ACTION_LINK_SECONDS
    soon = session_starting_in(timedelta(days=1), fan__email_reminders=False)
    message = confirmation_to(soon, soon.fan)
    assert len(links(message, f"/sessions/{soon.id}/join")) == 1
    later = session_starting_in(lifetime, fan__email_reminders=False)  # it ends after the link does
    message = confirmation_to(later, later.fan)
    assert links(message, f"/sessions/{later.id}/join") == []
    assert "Join from your dashboard when it is time." in message.body


def test_reschedule_and_cancel_links_only_while_the_policy_allows_them():
    ahead = session_starting_in(timedelta(days=3))
    message = confirmation_to(ahead, ahead.fan)
    assert len(links(message, "/reschedule")) == 1 and len(links(message, "/cancel")) == 1

    close = session_starting_in(timedelta(hours=3))  # inside the 24 hours before the start
    message = confirmation_to(close, close.fan)
    assert links(message, "/reschedule") == [] and "/reschedule?t=" not in message.body
    assert "Sessions can only be rescheduled at least 24 hours before the start." in message.body
    assert len(links(message, "/cancel")) == 1

    moved_twice = session_starting_in(timedelta(days=3), reschedule_count=2)
    message = confirmation_to(moved_twice, moved_twice.fan)
    assert links(message, "/reschedule") == [] and "at most 2 times" in message.body


def test_links_are_decided_when_the_email_is_composed_not_when_it_was_queued():
    session = session_starting_in(timedelta(days=3))
    outbox.on_confirmed(session)
    db.session.commit()
    # The row waited in the outbox; meanwhile the session was moved to a time that has now begun.
    session.starts_at = (utcnow() - timedelta(minutes=5)).replace(microsecond=0)
    session.ends_at = session.blocked_until = session.starts_at + timedelta(minutes=30)
    db.session.commit()
    with mail.record_messages() as sent:
        dispatch_committed()
    message = next(m for m in sent if recipient(m) == session.fan.email)
    assert "/reschedule?t=" not in message.body + message.html
    assert "/cancel?t=" not in message.body + message.html
    assert "Change of plans?" not in message.body


# --- The unpaid hold ------------------------------------------------------------------------


def test_an_unpaid_hold_ends_at_the_start_at_the_latest_and_the_emails_say_so(client, login):
    fan, player = FanFactory(), PlayerFactory(setup__paid=True, setup__notice=0)
    start = weekday_at(10)
    booked_at = start - timedelta(minutes=20)
    session = lifecycle.create_session(fan, player.id, start, 30, now=booked_at)
    assert session.status == "pending_payment" and session.hold_expires_at == start
    (row,) = db.session.scalars(db.select(Notification).where(Notification.kind == "awaiting_payment"))
    assert booked_at < row.due_at < session.hold_expires_at
    row.due_at = utcnow()
    db.session.commit()
    with mail.record_messages() as sent:
        jobs.sweep_notifications()
    (message,) = sent
    local_start = start.astimezone(ZoneInfo("Europe/Prague"))
    assert f"The hold ends {local_start:%a %d %b %Y, %H:%M} (Europe/Prague)." in message.body
    login(fan)
    page = client.get(f"/sessions/{session.id}/booked").get_data(as_text=True)
    assert f"holding this time for you until {local_start:%a %d %b %Y, %H:%M} (Europe/Prague)" in page


def test_complete_your_payment_waits_a_few_minutes_and_never_past_the_hold():
    fan, player = FanFactory(), PlayerFactory(setup__paid=True)
    booked_at = utcnow()
    session = lifecycle.create_session(fan, player.id, weekday_at(10), 30, now=booked_at)
    (row,) = db.session.scalars(db.select(Notification).where(Notification.kind == "awaiting_payment"))
    assert row.due_at == booked_at + outbox.AWAITING_PAYMENT_DELAY < session.hold_expires_at

    short = LiveSessionFactory(
        status="pending_payment", price_amount=2500, hold_expires_at=booked_at + timedelta(minutes=4)
    )
    outbox.on_awaiting_payment(short, now=booked_at)
    (row,) = db.session.scalars(db.select(Notification).where(Notification.session_id == short.id))
    assert booked_at < row.due_at < short.hold_expires_at


def test_a_fan_who_pays_at_once_never_gets_complete_your_payment():
    fan, player = FanFactory(), PlayerFactory(setup__paid=True)
    with mail.record_messages() as sent:
        session = lifecycle.create_session(fan, player.id, weekday_at(10), 30)
        dispatch_committed()
        assert [m.subject for m in sent if "Complete your payment" in m.subject] == []  # not yet due
        mark_paid(session)
        (row,) = db.session.scalars(db.select(Notification).where(Notification.kind == "awaiting_payment"))
        row.due_at = utcnow() - timedelta(seconds=1)  # the few minutes have passed
        db.session.commit()
        jobs.sweep_notifications()
    assert [m.subject for m in sent if "Complete your payment" in m.subject] == []
    db.session.refresh(row)
    assert row.status == "skipped" and "no longer waiting for payment" in row.last_error


def test_complete_your_payment_after_the_hold_ended_is_skipped():
    session = LiveSessionFactory(status="pending_payment", price_amount=2500, hold_expires_at=utcnow())
    outbox.queue(session.fan_id, "awaiting_payment", session_id=session.id)
    db.session.commit()
    with mail.record_messages() as sent:
        dispatch_committed()
    assert sent == []
    (row,) = db.session.scalars(db.select(Notification).where(Notification.kind == "awaiting_payment"))
    assert row.status == "skipped" and "hold" in row.last_error
