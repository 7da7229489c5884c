"""Times meant for people name the person's wall clock and zone, never a raw ISO or UTC time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from kendama.services.errors import WrongState
from kendama.services.timezones import for_person
from kendama.services.video import calls

from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def test_a_time_for_a_person_is_on_their_clock_with_the_zone_named():
    winter = datetime(2026, 12, 4, 9, 20, tzinfo=UTC)
    assert for_person(winter, "America/New_York") == "Fri 04 Dec 2026, 04:20 (America/New_York)"
    assert for_person(winter, "Europe/Prague", "%H:%M") == "10:20 (Europe/Prague)"


def test_joining_too_early_names_the_opening_on_the_joiners_own_clock():
    starts = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    session = LiveSessionFactory(
        fan=FanFactory(timezone="America/New_York"),
        player=PlayerFactory(timezone="Europe/Prague"),
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        blocked_until=starts + timedelta(minutes=30),
    )
    for person, clock in ((session.fan, "04:20 (America/New_York)"), (session.player, "10:20 (Europe/Prague)")):
        with pytest.raises(WrongState) as refused:
            calls.join(person, session.id, now=starts - timedelta(hours=1))
        message = refused.value.message
        assert refused.value.code == "too_early"
        assert message == f"The room opens 10 minutes before the start, at Fri 04 Dec 2026, {clock}."
        assert not ISO_TIME.search(message)
