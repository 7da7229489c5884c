"""The .ics documents: invitations (REQUEST/CANCEL) and the private feed, read back with `icalendar`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from kendama.extensions import db
from kendama.services.calendars import ics
from tests.support.factories import FanFactory, LiveSessionFactory, PlayerFactory


def _only_event(data: bytes):
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


@pytest.fixture
def session():
    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the night Europe leaves summer time
    return LiveSessionFactory(
        fan=FanFactory(display_name="Fan Fiona", email="fiona@example.com"),
        player=PlayerFactory(display_name="Player Pavel", email="pavel@example.com"),
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
    )


def test_request_invitation_has_uid_times_sequence_and_parties(session):
    session.ics_sequence = 3
    db.session.commit()

    calendar, event = _only_event(ics.invitation(session, recipient_id=session.fan_id))

    assert calendar["METHOD"] == "REQUEST"
    assert calendar["PRODID"] == ics.PRODID
    assert str(event["UID"]) == f"session-{session.id}@localhost"
    assert event.start == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert event.end == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    # Written in UTC with a trailing Z, not as a floating local time.
    assert b"DTSTART:20261025T003000Z" in ics.invitation(session)
    assert b"DTEND:20261025T010000Z" in ics.invitation(session)
    assert event.sequence == 3
    assert event.status == "CONFIRMED"
    assert event.summary == "Kendama session with Player Pavel"
    assert str(event["ORGANIZER"]) == "mailto:pavel@example.com"
    assert [str(a) for a in event.attendees] == ["mailto:fiona@example.com"]
    assert "http://localhost/dashboard/" in event.description
    assert event.stamp is not None


def test_summary_names_the_other_party_for_the_player(session):
    _, event = _only_event(ics.invitation(session, recipient_id=session.player_id))
    assert event.summary == "Kendama session with Fan Fiona"


def test_cancel_invitation_keeps_the_uid_and_marks_the_event_cancelled(session):
    request_uid = _only_event(ics.invitation(session))[1]["UID"]
    session.status = "cancelled"
    session.ics_sequence = 1
    db.session.commit()

    calendar, event = _only_event(ics.invitation(session, "CANCEL"))

    assert calendar["METHOD"] == "CANCEL"
    assert event["UID"] == request_uid
    assert event.status == "CANCELLED"
    assert event.sequence == 1


def test_a_pending_booking_is_tentative(session):
    session.status = "pending_payment"
    db.session.commit()
    assert _only_event(ics.invitation(session))[1].status == "TENTATIVE"


def test_unknown_method_is_refused(session):
    with pytest.raises(ValueError):
        ics.invitation(session, "PUBLISH")


def test_display_names_with_commas_survive_the_round_trip():
    start = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
    session = LiveSessionFactory(
        fan=FanFactory(display_name='Doe, "Jo"; Ann'),
        starts_at=start,
        ends_at=start + timedelta(minutes=15),
        blocked_until=start + timedelta(minutes=15),
        duration_minutes=15,
    )
    _, event = _only_event(ics.invitation(session, recipient_id=session.player_id))
    assert event.summary == 'Kendama session with Doe, "Jo"; Ann'
    assert event.attendees[0].params["CN"] == 'Doe, "Jo"; Ann'


def test_the_feed_states_its_refresh_interval_as_durations_calendar_apps_read(session):
    # RFC 7986 requires VALUE=DURATION on REFRESH-INTERVAL; X-PUBLISHED-TTL is a duration too. Both
    # were wrong before (no parameter; Python's "1:00:00"), found by Mozilla's ical.js.
    lines = ics.feed_for(session.fan).decode().splitlines()
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines
