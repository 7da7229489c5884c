"""The feed and the invitations read by a second parser: `vobject`, not the `icalendar` we write with.

A calendar app is not our library: what only `icalendar` can read back proves little. `vobject`
parses independently (and validates with `validate=True`), so these tests read real content
through it: the calendar's PRODID, VERSION and METHOD, each event's UID, times, SUMMARY and
SEQUENCE, and the feed's refresh hints.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import vobject

from kendama.extensions import db, mail
from kendama.services.calendars import ics
from kendama.services.notifications import outbox
from kendama.tasks.queue import dispatch_committed

from ..conftest import recipient
from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def parse(data: bytes):
    """One VCALENDAR, parsed and validated by vobject (it raises on what it cannot read)."""
    calendar = vobject.readOne(data.decode("utf-8"), validate=True)
    assert calendar.name == "VCALENDAR"
    assert calendar.prodid.value == ics.PRODID
    assert calendar.version.value == "2.0"
    return calendar


def events_by_uid(calendar) -> dict:
    return {event.uid.value: event for event in calendar.contents.get("vevent", [])}


def rfc6868(value: str) -> str:
    """A parameter value with RFC 6868's escapes decoded; vobject 0.9.9 leaves them as written.

    RFC 5545 allows no double quote in a parameter value at all; `icalendar` writes one as ^'
    (RFC 6868), which is right, and which readers that know only RFC 5545 show as it is.
    """
    return re.sub(r"\^([n'^])", lambda m: {"n": "\n", "'": '"', "^": "^"}[m.group(1)], value)


def assert_utc(value: datetime, expected: datetime) -> None:
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
    assert value == expected


def uid(session) -> str:
    return f"session-{session.id}@localhost"


def _session(fan, player, start: datetime, **fields):
    return LiveSessionFactory(
        fan=fan,
        player=player,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        **fields,
    )


@pytest.fixture
def people():
    return FanFactory(display_name='Doe, "Jo"; Ann'), PlayerFactory(display_name="Player Pavel")


def test_the_private_feed_parses_with_every_session_and_its_refresh_hints(client, people):
    fan, player = people
    soon = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    upcoming = _session(fan, player, soon)
    moved = _session(fan, player, soon + timedelta(days=1), ics_sequence=2)
    cancelled = _session(fan, player, soon + timedelta(days=2), status="cancelled", ics_sequence=1)

    response = client.get(f"/calendar/{fan.calendar_token}.ics")
    assert response.status_code == 200
    calendar = parse(response.data)

    assert "method" not in calendar.contents  # a published feed, not an iTIP message
    refresh = calendar.contents["refresh-interval"][0]
    assert refresh.params["VALUE"] == ["DURATION"]
    assert refresh.value == "PT1H"
    assert calendar.contents["x-published-ttl"][0].value == "PT1H"

    events = events_by_uid(calendar)
    assert set(events) == {uid(upcoming), uid(moved), uid(cancelled)}
    for session, sequence, status in ((upcoming, 0, "CONFIRMED"), (moved, 2, "CONFIRMED"), (cancelled, 1, "CANCELLED")):
        event = events[uid(session)]
        assert_utc(event.dtstart.value, session.starts_at)
        assert_utc(event.dtend.value, session.ends_at)
        assert event.summary.value == "Kendama session with Player Pavel"
        assert int(event.sequence.value) == sequence
        assert event.status.value == status

    # The player's feed names the fan, commas, quotes and semicolon included.
    player_events = events_by_uid(parse(client.get(f"/calendar/{player.calendar_token}.ics").data))
    assert player_events[uid(upcoming)].summary.value == 'Kendama session with Doe, "Jo"; Ann'


def test_an_empty_feed_still_parses():
    calendar = parse(ics.feed_for(FanFactory()))
    assert events_by_uid(calendar) == {}
    assert calendar.contents["x-published-ttl"][0].value == "PT1H"


def test_request_and_cancel_invitations_from_ics_parse(people):
    fan, player = people
    session = _session(fan, player, datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # Europe leaves summer time

    request = parse(ics.invitation(session, "REQUEST", recipient_id=fan.id))
    assert request.method.value == "REQUEST"
    (event,) = request.vevent_list
    assert event.uid.value == uid(session)
    assert_utc(event.dtstart.value, datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    assert_utc(event.dtend.value, datetime(2026, 10, 25, 1, 0, tzinfo=UTC))
    assert event.summary.value == "Kendama session with Player Pavel"
    assert int(event.sequence.value) == 0
    assert event.status.value == "CONFIRMED"
    assert event.organizer.value == "mailto:" + player.email
    (cn,) = event.attendee.params["CN"]
    assert rfc6868(cn) == 'Doe, "Jo"; Ann'  # the comma and semicolon are quoted, not split on

    session.mark_cancelled(datetime.now(UTC), "fan", None, by_id=fan.id)
    db.session.commit()
    cancel = parse(ics.invitation(session, "CANCEL", recipient_id=player.id))
    assert cancel.method.value == "CANCEL"
    (event,) = cancel.vevent_list
    assert event.uid.value == uid(session)
    assert_utc(event.dtstart.value, session.starts_at)
    assert_utc(event.dtend.value, session.ends_at)
    assert event.summary.value == 'Kendama session with Doe, "Jo"; Ann'
    assert int(event.sequence.value) == session.ics_sequence >= 1
    assert event.status.value == "CANCELLED"


def _attachment(sent, user):
    (message,) = [m for m in sent if recipient(m) == user.email]
    (attachment,) = message.attachments
    return attachment


def test_the_invitations_the_emails_carry_parse(people):
    fan, player = people
    session = _session(fan, player, (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0))
    with mail.record_messages() as sent:
        outbox.on_confirmed(session)
        db.session.commit()
        dispatch_committed()
    attachment = _attachment(sent, fan)
    assert attachment.content_type.startswith("text/calendar; method=REQUEST")
    calendar = parse(attachment.data)
    assert calendar.method.value == "REQUEST"
    (event,) = calendar.vevent_list
    assert event.uid.value == uid(session)
    assert_utc(event.dtstart.value, session.starts_at)
    assert_utc(event.dtend.value, session.ends_at)
    assert int(event.sequence.value) == 0

    session.mark_cancelled(datetime.now(UTC), "player", "Sick", by_id=player.id)
    with mail.record_messages() as sent:
        outbox.on_cancelled(session)
        db.session.commit()
        dispatch_committed()
    attachment = _attachment(sent, fan)
    assert attachment.content_type.startswith("text/calendar; method=CANCEL")
    calendar = parse(attachment.data)
    assert calendar.method.value == "CANCEL"
    (event,) = calendar.vevent_list
    assert event.uid.value == uid(session)
    assert_utc(event.dtstart.value, session.starts_at)
    assert int(event.sequence.value) == session.ics_sequence >= 1
    assert event.status.value == "CANCELLED"
