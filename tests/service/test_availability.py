"""Availability rules (set and read back) and slots read from the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from kendama.extensions import db
from kendama.models import CalendarBusyTime, LiveSession, utcnow
from kendama.services import discovery
from kendama.services.booking import availability, offers, slots
from kendama.services.booking.availability import AvailabilityInput, OverrideInput, WeeklyInput
from kendama.services.errors import InvalidInput, NotAllowed

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def rules(**changes) -> AvailabilityInput:
    values = dict(
        timezone="America/New_York",
        weekly=[WeeklyInput(0, "09:00", "12:00"), WeeklyInput(0, "13:00", "24:00"), WeeklyInput(2, "08:30", "10:00")],
        overrides=[OverrideInput("2026-12-24"), OverrideInput("2026-12-27", "10:00", "11:00")],
        buffer_minutes=10,
        min_notice_minutes=180,
        max_days_ahead=90,
    )
    values.update(changes)
    return AvailabilityInput(**values)


def test_set_and_read_back():
    player = PlayerFactory()
    availability.set_availability(player, rules())
    saved = availability.get_availability(player.id)
    assert saved.timezone == "America/New_York"
    assert (saved.buffer_minutes, saved.min_notice_minutes, saved.max_days_ahead) == (10, 180, 90)
    assert [(w.weekday, w.start_time, w.end_time) for w in saved.windows] == [
        (0, time(9), time(12)),
        (0, time(13), time(0)),
        (2, time(8, 30), time(10)),
    ]
    assert [(o.date, o.start_time, o.end_time) for o in saved.overrides] == [
        (date(2026, 12, 24), None, None),
        (date(2026, 12, 27), time(10), time(11)),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"buffer_minutes": 241}, "buffer_minutes"),
        ({"min_notice_minutes": -1}, "min_notice_minutes"),
        ({"max_days_ahead": 0}, "max_days_ahead"),
        ({"weekly": [WeeklyInput(7, "09:00", "10:00")]}, "weekly.0.weekday"),
        ({"weekly": [WeeklyInput(0, "10:00", "09:00")]}, "weekly.0.end"),
        ({"weekly": [WeeklyInput(0, "10:00", "10:00")]}, "weekly.0.end"),
        ({"weekly": [WeeklyInput(0, "9am", "10:00")]}, "weekly.0.start"),
        ({"weekly": [WeeklyInput(0, "09:00", "25:00")]}, "weekly.0.end"),
        ({"weekly": [WeeklyInput(1, "09:00", "12:00"), WeeklyInput(1, "11:00", "13:00")]}, "weekly.1.start"),
        ({"overrides": [OverrideInput("2026-02-30")]}, "overrides.0.date"),
        ({"overrides": [OverrideInput("2026-12-01", "10:00")]}, "overrides.0.end"),
        ({"overrides": [OverrideInput("2026-12-01", "12:00", "11:00")]}, "overrides.0.end"),
        (
            {
                "overrides": [
                    OverrideInput("2026-12-01", "09:00", "11:00"),
                    OverrideInput("2026-12-01", "10:00", "12:00"),
                ]
            },
            "overrides.1.start",
        ),
        (
            {"overrides": [OverrideInput("2026-12-01", "09:00", "11:00"), OverrideInput("2026-12-01")]},
            "overrides.1.date",
        ),
    ],
)
def test_invalid_rules_are_422_and_change_nothing(changes, field):
    player = PlayerFactory()
    with pytest.raises(InvalidInput) as error:
        availability.set_availability(player, rules(**changes))
    assert field in error.value.fields, error.value.fields
    db.session.rollback()
    assert availability.get_availability(player.id).timezone == "Europe/Prague"


def test_touching_windows_are_allowed():
    player = PlayerFactory()
    availability.set_availability(
        player, rules(weekly=[WeeklyInput(0, "09:00", "10:00"), WeeklyInput(0, "10:00", "11:00")])
    )
    assert len(availability.get_availability(player.id).windows) == 2


def test_only_players_set_availability():
    with pytest.raises(NotAllowed):
        availability.set_availability(FanFactory(), rules())


def test_slots_from_the_database_skip_sessions_busy_times_and_expired_holds():
    player = PlayerFactory(setup__buffer=0)
    start = weekday_at(10)
    LiveSessionFactory(player=player, starts_at=start)
    expired = LiveSessionFactory(
        player=player,
        starts_at=start + timedelta(hours=1),
        status="pending_payment",
        hold_expires_at=utcnow() - timedelta(minutes=1),
    )
    LiveSessionFactory(player=player, starts_at=start + timedelta(hours=2), status="cancelled")
    db.session.add(
        CalendarBusyTime(player_id=player.id, starts_at=start + timedelta(hours=3), ends_at=start + timedelta(hours=4))
    )
    db.session.commit()
    free = {s.start for s in slots.bookable_slots(player.id, 30, start, start + timedelta(hours=5))}
    assert start not in free
    assert expired.starts_at in free  # an unpaid hold past its expiry does not block
    assert start + timedelta(hours=2) in free  # cancelled sessions do not block
    assert start + timedelta(hours=3, minutes=30) not in free  # inside the imported busy time
    assert start + timedelta(hours=4) in free


def test_reschedule_check_excludes_the_session_itself():
    player = PlayerFactory()
    start = weekday_at(10)
    own = LiveSessionFactory(player=player, starts_at=start)
    assert not slots.is_bookable(player.id, 30, start + timedelta(minutes=15))
    assert slots.is_bookable(player.id, 30, start + timedelta(minutes=15), exclude_session_id=own.id)


def count_queries():
    statements: list[str] = []

    def record(*args):
        statements.append(args[2])

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    return statements, lambda: event.remove(engine, "before_cursor_execute", record)


def test_next_available_uses_a_fixed_number_of_queries():
    few = [PlayerFactory().id for _ in range(2)]
    many = few + [PlayerFactory().id for _ in range(4)]
    db.session.expire_all()
    statements, stop = count_queries()
    try:
        slots.next_available(few, dict.fromkeys(few, 30))
        with_few = len(statements)
        db.session.expire_all()
        statements.clear()
        first = slots.next_available(many, dict.fromkeys(many, 30))
        assert len(statements) == with_few == 3  # rules, overrides, conflicts of the first week
    finally:
        stop()
    assert all(first[pid] is not None for pid in many)


def test_next_available_is_the_first_free_slot():
    player = PlayerFactory(setup__notice=0)
    now = weekday_at(8)  # 08:00 Prague, an hour before the window opens
    LiveSessionFactory(player=player, starts_at=weekday_at(9))
    found = slots.next_available([player.id], {player.id: 30}, now=now)
    assert found[player.id] == weekday_at(9, 30)


def test_next_available_looks_past_a_full_first_week():
    player = PlayerFactory(setup__notice=0)
    today = utcnow().date()
    availability.set_availability(
        player,
        rules(
            timezone="UTC",
            weekly=[WeeklyInput(day, "09:00", "17:00") for day in range(7)],
            overrides=[OverrideInput((today + timedelta(days=n)).isoformat()) for n in range(10)],
            buffer_minutes=0,
            min_notice_minutes=0,
            max_days_ahead=30,
        ),
    )
    player_id = player.id
    statements, stop = count_queries()
    try:
        found = slots.next_available([player_id], {player_id: 30})
    finally:
        stop()
    assert found[player_id] == datetime.combine(today + timedelta(days=10), time(9), tzinfo=UTC)
    assert len(statements) == 4  # rules, overrides, the first week, the rest of the window
    nothing = slots.next_available([player_id], {player_id: 30}, before=utcnow() + timedelta(days=9))
    assert nothing[player_id] is None


def test_discovery_fills_next_available_and_filters_by_it():
    soon = PlayerFactory(display_name="Aa Soon")
    later = PlayerFactory(display_name="Ab Later", setup__notice=7 * 24 * 60)
    page = discovery.search_players(discovery.PlayerSearch(text="a "))
    cards = {card.profile.user_id: card.next_available for card in page.items}
    assert cards[soon.id] is not None and cards[later.id] > cards[soon.id]
    before = (utcnow() + timedelta(days=5)).isoformat()
    filtered = discovery.search_players(discovery.PlayerSearch(text="a ", available_before=before))
    assert [card.profile.user_id for card in filtered.items] == [soon.id] and filtered.total == 1
    with pytest.raises(InvalidInput):
        discovery.search_players(discovery.PlayerSearch(available_before="2026-12-01T10:00:00"))


def test_offered_slots_range_rules():
    player = PlayerFactory()
    start = datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        offers.offered_slots(player.id, 30, start, start + timedelta(days=62, seconds=1))
    with pytest.raises(InvalidInput):
        offers.offered_slots(player.id, 30, start, start)
    assert offers.offered_slots(player.id, None, start, start + timedelta(days=62)).duration_minutes == 30


def test_a_date_override_with_hours_opens_those_hours():
    player = PlayerFactory(setup__notice=0)
    day = (utcnow() + timedelta(days=9)).date()
    availability.set_availability(
        player,
        rules(
            timezone="UTC",
            weekly=[],
            overrides=[OverrideInput(day.isoformat(), "14:00", "15:00")],
            buffer_minutes=0,
            min_notice_minutes=0,
        ),
    )
    start = datetime.combine(day, time(0), tzinfo=UTC)
    found = [s.start.hour for s in slots.bookable_slots(player.id, 30, start, start + timedelta(days=1))]
    assert found == [14, 14, 14]


def test_a_player_with_settings_but_no_weekly_hours_has_no_slots():
    player = PlayerFactory()
    availability.set_availability(player, rules(weekly=[], overrides=[]))
    start = utcnow()
    assert slots.bookable_slots(player.id, 30, start, start + timedelta(days=7)) == []
    assert slots.next_available([player.id], {player.id: 30})[player.id] is None


def test_next_available_skips_imported_busy_times():
    player = PlayerFactory(setup__notice=0)
    now = weekday_at(8)
    db.session.add(CalendarBusyTime(player_id=player.id, starts_at=weekday_at(9), ends_at=weekday_at(10)))
    db.session.commit()
    assert slots.next_available([player.id], {player.id: 30}, now=now)[player.id] == weekday_at(10)


def test_an_unpaid_hold_that_has_not_expired_blocks_its_slot():
    player = PlayerFactory(setup__buffer=0)
    start = weekday_at(10)
    LiveSessionFactory(
        player=player, starts_at=start, status="pending_payment", hold_expires_at=utcnow() + timedelta(minutes=20)
    )
    assert not slots.is_bookable(player.id, 30, start)


def test_the_session_with_id_1_blocks_like_any_other():
    """Excluding no session must exclude none: a sentinel id of 1 would let session 1 be booked over."""
    if db.session.get(LiveSession, 1) is not None:
        pytest.skip("a session 1 exists already in this database")
    player = PlayerFactory(setup__buffer=0)
    start = weekday_at(10)
    LiveSessionFactory(id=1, player=player, starts_at=start)
    assert not slots.is_bookable(player.id, 30, start)
    assert start not in {s.start for s in slots.bookable_slots(player.id, 30, start, start + timedelta(hours=1))}
