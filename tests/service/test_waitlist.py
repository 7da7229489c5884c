"""Waitlists: joining a day with no open time, the first in line offered a freed time and it held
for them alone, lapsing to the next fan, and leaving the line by booking or by choice."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import DateOverride, Notification, utcnow
from kendama.services.booking import lifecycle, offers, waitlist
from kendama.services.errors import Conflict, InvalidInput, NotFound, SlotUnavailable
from kendama.tasks.queue import dispatch_committed

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

ZONE = "Europe/Prague"  # the factories' zone, the player's and the fans'


@pytest.fixture
def one_slot_day():
    """A player whose chosen day has one 30-minute time (10:00 Prague), booked by a first fan."""
    player = PlayerFactory()
    start = weekday_at(10)
    day = start.astimezone(waitlist.zone(ZONE)).date()
    db.session.add(DateOverride(player_id=player.id, date=day, start_time=time(10), end_time=time(10, 30)))
    db.session.commit()
    first = lifecycle.create_session(FanFactory(), player.id, start, 30)
    return player, day, start, first


def offers_sent() -> list[int]:
    rows = db.session.scalars(select(Notification).where(Notification.kind == "waitlist_offer"))
    return [row.payload["entry_id"] for row in rows]


def test_a_fan_joins_only_a_day_without_open_time(one_slot_day):
    player, day, _start, _first = one_slot_day
    fan = FanFactory()
    entry = waitlist.join(fan, player.id, day, 30, ZONE)
    assert (entry.state, waitlist.position(entry)) == ("waiting", 1)
    with pytest.raises(Conflict):
        waitlist.join(fan, player.id, day, 30, ZONE)
    open_day = day + timedelta(days=7)
    with pytest.raises(InvalidInput) as refused:
        waitlist.join(fan, player.id, open_day, 30, ZONE)
    assert refused.value.fields == {"date": "There are open times on that day: book one of them."}
    with pytest.raises(InvalidInput):
        waitlist.join(fan, player.id, utcnow().date() - timedelta(days=2), 30, ZONE)
    with pytest.raises(InvalidInput):
        waitlist.join(fan, player.id, day, 45, ZONE)  # not a length the player offers
    with pytest.raises(NotFound):
        waitlist.join(fan, FanFactory().id, day, 30, ZONE)  # not a listed player
    assert waitlist.position(waitlist.join(FanFactory(), player.id, day, 30, ZONE)) == 2


def test_a_freed_time_is_offered_to_the_first_in_line_and_held_for_them(one_slot_day):
    player, day, start, first = one_slot_day
    early, late, stranger = FanFactory(), FanFactory(), FanFactory()
    first_place = waitlist.join(early, player.id, day, 30, ZONE)
    second_place = waitlist.join(late, player.id, day, 30, ZONE)
    assert waitlist.run(player.id) == []  # nothing free yet

    lifecycle.cancel(first.fan, first.id)
    now = utcnow()
    [offered] = waitlist.run(player.id, now=now)
    assert offered.id == first_place.id and offered.state == "offered"
    assert (offered.offer_start, offered.offer_end) == (start, start + timedelta(minutes=30))
    assert offered.offer_until == now + timedelta(minutes=15)
    assert second_place.state == "waiting" and offers_sent() == [first_place.id]

    # Held: nobody else may book it, the fan in line may.
    with pytest.raises(SlotUnavailable, match="held for a fan from the waitlist"):
        lifecycle.create_session(stranger, player.id, start, 30, now=now)
    with pytest.raises(SlotUnavailable):
        lifecycle.create_session(late, player.id, start, 30, now=now)
    booked = lifecycle.create_session(early, player.id, start, 30, now=now)
    assert booked.status == "confirmed" and first_place.state == "booked"
    assert waitlist.run(player.id) == []  # booked again: nothing to offer the next fan


def test_an_unused_offer_lapses_and_the_next_fan_is_told(one_slot_day):
    player, day, start, first = one_slot_day
    early, late = FanFactory(), FanFactory()
    first_place = waitlist.join(early, player.id, day, 30, ZONE)
    second_place = waitlist.join(late, player.id, day, 30, ZONE)
    lifecycle.cancel(first.fan, first.id)
    now = utcnow()
    waitlist.run(player.id, now=now)

    later = now + timedelta(minutes=15)
    [offered] = waitlist.run(player.id, now=later)
    assert first_place.state == "lapsed" and offered.id == second_place.id
    booked = lifecycle.create_session(late, player.id, start, 30, now=later)
    assert booked.fan_id == late.id
    with pytest.raises(SlotUnavailable):  # the lapsed fan lost the hold, and the time is gone
        lifecycle.create_session(early, player.id, start, 30, now=later)


def test_cancelling_runs_the_line_at_once(one_slot_day):
    """The job after the commit (inline here, as in the embedded default) makes the offer."""
    player, day, _start, first = one_slot_day
    place = waitlist.join(FanFactory(), player.id, day, 30, ZONE)
    lifecycle.cancel(first.fan, first.id)
    dispatch_committed()
    db.session.refresh(place)
    assert place.state == "offered" and offers_sent() == [place.id]


def test_leaving_releases_the_hold_and_the_line_goes_on(one_slot_day):
    player, day, start, first = one_slot_day
    early, late = FanFactory(), FanFactory()
    first_place = waitlist.join(early, player.id, day, 30, ZONE)
    waitlist.join(late, player.id, day, 30, ZONE)
    lifecycle.cancel(first.fan, first.id)
    now = utcnow()
    waitlist.run(player.id, now=now)
    with pytest.raises(NotFound):
        waitlist.leave(late, first_place.id)
    waitlist.leave(early, first_place.id)
    assert first_place.state == "left" and waitlist.entries_of(early) == []
    [offered] = waitlist.run(player.id, now=now)
    assert offered.fan_id == late.id


def test_a_day_that_has_passed_lapses(one_slot_day):
    player, day, _start, _first = one_slot_day
    place = waitlist.join(FanFactory(), player.id, day, 30, ZONE)
    after = datetime.combine(day + timedelta(days=1), time(1), tzinfo=waitlist.zone(ZONE))
    assert waitlist.run(player.id, now=after) == [] and place.state == "lapsed"


def test_the_held_time_is_shown_to_the_fan_in_line_only_and_no_one_moves_onto_it(one_slot_day):
    player, day, start, first = one_slot_day
    early, stranger = FanFactory(), FanFactory()
    waitlist.join(early, player.id, day, 30, ZONE)
    other = lifecycle.create_session(stranger, player.id, weekday_at(11, days_ahead=10), 30)  # another day
    lifecycle.cancel(first.fan, first.id)
    now = utcnow()
    waitlist.run(player.id, now=now)

    def shown_to(viewer_id):
        _profile, choices = offers.booking_choices(player.id, 30, ZONE, day, day, viewer_id=viewer_id)
        return choices.days.get(day, [])

    assert [slot.start for slot in shown_to(early.id)] == [start]
    assert shown_to(stranger.id) == [] and shown_to(None) == []
    with pytest.raises(SlotUnavailable, match="held for a fan from the waitlist"):
        lifecycle.reschedule(stranger, other.id, start, now=now)
