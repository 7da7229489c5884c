"""Slot computation without the database: windows, the grid, DST switch days, the date line."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kendama.services.booking.slots import Rules, Slot, compute_slots, fresh_until, group_by_day

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
WHOLE_DAY = ((time(0), time(0)),)  # 00:00 to midnight at the end of the day


def make_rules(zone, weekly=None, overrides=None, buffer=0, notice=0, days_ahead=365) -> Rules:
    return Rules(
        zone=ZoneInfo(zone),
        weekly=weekly or {},
        overrides=overrides or {},
        buffer=timedelta(minutes=buffer),
        min_notice=timedelta(minutes=notice),
        max_days_ahead=days_ahead,
    )


def local_day(zone: str, day: date) -> tuple[datetime, datetime]:
    """The UTC range of a local calendar date."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def slots_on(rules: Rules, day: date, minutes: int = 30, now=LONG_AGO, sessions=(), busy=()):
    start, end = local_day(rules.zone.key, day)
    return list(compute_slots(rules, timedelta(minutes=minutes), start, end, now, sessions, busy))


def seconds(start: datetime, end: datetime) -> tuple[float, float]:
    """A blocked range as load_conflicts hands it over: POSIX seconds."""
    return start.timestamp(), end.timestamp()


def readings(found, zone: str) -> list[str]:
    return [s.start.astimezone(ZoneInfo(zone)).strftime("%H:%M%z") for s in found]


def test_grid_every_15_minutes_inside_the_window():
    rules = make_rules("Europe/Prague", weekly={0: ((time(9), time(12)),)})
    found = slots_on(rules, date(2026, 12, 7))  # a Monday, winter time (UTC+1)
    assert [s.start.strftime("%H:%M") for s in found][:3] == ["08:00", "08:15", "08:30"]
    assert found[-1].start == datetime(2026, 12, 7, 10, 30, tzinfo=UTC)  # 11:30 local, ends at 12:00
    assert len(found) == 11
    assert all(s.end - s.start == timedelta(minutes=30) for s in found)


def test_weekly_hours_stay_on_the_wall_clock_across_dst():
    rules = make_rules("Europe/Prague", weekly={d: ((time(9), time(10)),) for d in range(7)})
    before = slots_on(rules, date(2026, 3, 27))[0].start  # Friday, CET
    after = slots_on(rules, date(2026, 3, 30))[0].start  # Monday, CEST
    assert before == datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    assert after == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


SWITCH_DAYS = [
    # (zone, date, hours in that local day)
    ("Europe/Prague", date(2026, 3, 29), 23),
    ("Europe/Prague", date(2026, 10, 25), 25),
    ("Europe/Prague", date(2027, 3, 28), 23),
    ("Europe/Prague", date(2027, 10, 31), 25),
    ("America/New_York", date(2026, 3, 8), 23),
    ("America/New_York", date(2026, 11, 1), 25),
    ("America/New_York", date(2027, 3, 14), 23),
    ("America/New_York", date(2027, 11, 7), 25),
    ("Pacific/Auckland", date(2026, 4, 5), 25),
    ("Pacific/Auckland", date(2026, 9, 27), 23),
    ("Pacific/Auckland", date(2027, 4, 4), 25),
    ("Pacific/Auckland", date(2027, 9, 26), 23),
    ("Europe/Prague", date(2026, 7, 1), 24),
]


@pytest.mark.parametrize(("zone", "day", "hours"), SWITCH_DAYS, ids=lambda v: str(v))
def test_whole_day_window_on_switch_days(zone, day, hours):
    """A 00:00-24:00 window offers exactly the real time the day has, each instant once."""
    rules = make_rules(zone, weekly={day.weekday(): WHOLE_DAY})
    found = slots_on(rules, day, minutes=15, now=datetime(day.year, 1, 1, tzinfo=UTC))
    assert len(found) == hours * 4
    starts = [s.start for s in found]
    assert starts == sorted(set(starts))
    assert all(b - a == timedelta(minutes=15) for a, b in zip(starts, starts[1:], strict=False))
    tz = ZoneInfo(zone)
    for slot in found:
        local = slot.start.astimezone(tz)
        assert local.date() == day
        # Only wall-clock times that exist: converting back gives the same instant.
        assert local.replace(tzinfo=None).replace(tzinfo=tz, fold=local.fold).astimezone(UTC) == slot.start


def test_spring_forward_skips_the_missing_hour():
    rules = make_rules("Europe/Prague", weekly={6: ((time(1), time(4)),)})
    found = slots_on(rules, date(2026, 3, 29))  # clocks jump 02:00 -> 03:00
    assert readings(found, "Europe/Prague") == [
        "01:00+0100",
        "01:15+0100",
        "01:30+0100",
        "01:45+0100",
        "03:00+0200",
        "03:15+0200",
        "03:30+0200",
    ]
    # 01:45 lasts 30 real minutes, ending at 03:15 on the wall clock.
    assert found[3].end.astimezone(ZoneInfo("Europe/Prague")).strftime("%H:%M") == "03:15"


def test_fall_back_offers_the_repeated_hour_twice():
    rules = make_rules("America/New_York", weekly={6: ((time(1), time(3)),)})
    found = slots_on(rules, date(2026, 11, 1), minutes=15)  # clocks go 02:00 EDT -> 01:00 EST
    shown = readings(found, "America/New_York")
    assert shown.count("01:30-0400") == 1 and shown.count("01:30-0500") == 1
    assert len(found) == 12  # three real hours between 01:00 EDT and 03:00 EST


def test_fall_back_offers_a_repeated_time_only_where_the_clock_reads_inside_the_window():
    """Hypothesis found 00:00-01:00 offering 01:00-01:45 EDT: the end was read at its second pass."""
    day = date(2026, 11, 1)  # New York: 02:00 EDT -> 01:00 EST, so 01:00-01:59 happens twice
    until_one = make_rules("America/New_York", overrides={day: ((time(0), time(1)),)})
    assert readings(slots_on(until_one, day, minutes=15), "America/New_York") == [
        "00:00-0400",
        "00:15-0400",
        "00:30-0400",
        "00:45-0400",
    ]
    until_half_past = make_rules("America/New_York", overrides={day: ((time(0), time(1, 30)),)})
    assert readings(slots_on(until_half_past, day, minutes=15), "America/New_York")[-4:] == [
        "01:00-0400",
        "01:15-0400",
        "01:00-0500",
        "01:15-0500",
    ]
    from_half_past = make_rules("America/New_York", overrides={day: ((time(1, 30), time(2, 30)),)})
    assert readings(slots_on(from_half_past, day, minutes=15), "America/New_York") == [
        "01:30-0400",
        "01:45-0400",
        "01:30-0500",
        "01:45-0500",
        "02:00-0500",
        "02:15-0500",
    ]


def test_window_edges_in_the_skipped_hour_shrink_the_window():
    rules = make_rules(
        "Europe/Prague",
        overrides={date(2026, 3, 29): ((time(2, 30), time(5)),)},
    )
    assert readings(slots_on(rules, date(2026, 3, 29)), "Europe/Prague")[0] == "03:30+0200"
    rules = make_rules("Europe/Prague", overrides={date(2026, 3, 29): ((time(0), time(2, 30)),)})
    found = slots_on(rules, date(2026, 3, 29), minutes=15)
    assert readings(found, "Europe/Prague")[-1] == "01:15+0100"  # never past 02:30 on the wall clock


def test_window_entirely_in_the_skipped_hour_is_empty():
    rules = make_rules("Europe/Prague", overrides={date(2026, 3, 29): ((time(2), time(2, 45)),)})
    assert slots_on(rules, date(2026, 3, 29), minutes=15) == []


@pytest.mark.parametrize(
    ("zone", "utc_day"),
    [("Pacific/Kiritimati", date(2026, 5, 31)), ("Pacific/Pago_Pago", date(2026, 6, 1))],
)
def test_date_line_zones_map_to_the_right_utc_day(zone, utc_day):
    """Monday 09:00 in UTC+14 is still Sunday in UTC; Monday 20:00 in UTC-11 is Tuesday."""
    hour = 9 if zone == "Pacific/Kiritimati" else 20
    rules = make_rules(zone, weekly={0: ((time(hour), time(hour + 1)),)})
    found = slots_on(rules, date(2026, 6, 1))
    assert found and all(s.start.date() == utc_day + timedelta(days=0 if hour == 9 else 1) for s in found)
    assert found[0].start.astimezone(ZoneInfo(zone)).strftime("%a %H:%M") == f"Mon {hour:02d}:00"


def test_viewers_on_both_sides_of_the_date_line_see_different_dates():
    rules = make_rules("UTC", weekly={0: ((time(10, 30), time(11)),)})
    found = slots_on(rules, date(2026, 6, 1))  # Monday 10:30 UTC
    assert list(group_by_day(found, "Pacific/Kiritimati")) == [date(2026, 6, 2)]  # 00:30 Tuesday
    assert list(group_by_day(found, "Pacific/Pago_Pago")) == [date(2026, 5, 31)]  # 23:30 Sunday
    assert list(group_by_day(found, "Pacific/Auckland")) == [date(2026, 6, 1)]  # 22:30 Monday


def test_minimum_notice_moves_the_first_slot_onto_the_grid():
    rules = make_rules("UTC", weekly={0: ((time(9), time(12)),)}, notice=60)
    now = datetime(2026, 6, 1, 8, 7, tzinfo=UTC)
    found = slots_on(rules, date(2026, 6, 1), now=now)
    assert found[0].start == datetime(2026, 6, 1, 9, 15, tzinfo=UTC)  # 09:07 rounded up to the grid


def test_booking_window_counts_days_on_the_players_calendar():
    rules = make_rules("Pacific/Kiritimati", weekly={d: ((time(9), time(10)),) for d in range(7)}, days_ahead=1)
    now = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # Tuesday 00:00 in Kiritimati
    start, end = now, now + timedelta(days=5)
    found = list(compute_slots(rules, timedelta(minutes=30), start, end, now))
    tz = ZoneInfo("Pacific/Kiritimati")
    assert {s.start.astimezone(tz).date() for s in found} == {date(2026, 6, 2), date(2026, 6, 3)}


def test_sessions_and_their_buffers_block():
    rules = make_rules("UTC", weekly={0: ((time(9), time(12)),)}, buffer=10)
    booked = [seconds(datetime(2026, 6, 1, 10, 0, tzinfo=UTC), datetime(2026, 6, 1, 10, 40, tzinfo=UTC))]
    found = slots_on(rules, date(2026, 6, 1), sessions=booked)
    starts = [s.start.strftime("%H:%M") for s in found]
    # 09:15 + 30 min + 10 min buffer ends at 09:55; 09:30 would run into the session.
    assert "09:15" in starts and "09:30" not in starts and "09:45" not in starts
    assert "10:30" not in starts and "10:45" in starts  # blocked until 10:40


def test_busy_times_block_with_the_buffer_on_both_sides():
    rules = make_rules("UTC", weekly={0: ((time(9), time(12)),)}, buffer=15)
    busy = [seconds(datetime(2026, 6, 1, 10, 0, tzinfo=UTC), datetime(2026, 6, 1, 10, 20, tzinfo=UTC))]
    starts = [s.start.strftime("%H:%M") for s in slots_on(rules, date(2026, 6, 1), busy=busy)]
    assert "09:15" in starts and "09:30" not in starts
    assert "10:30" not in starts and "10:45" in starts


def test_override_replaces_weekly_hours_and_day_off():
    rules = make_rules(
        "UTC",
        weekly={0: ((time(9), time(12)),)},
        overrides={date(2026, 6, 1): ((time(14), time(15)),), date(2026, 6, 8): ()},
    )
    assert [s.start.hour for s in slots_on(rules, date(2026, 6, 1))] == [14, 14, 14]
    assert slots_on(rules, date(2026, 6, 8)) == []
    assert len(slots_on(rules, date(2026, 6, 15))) == 11


def test_touching_windows_are_joined():
    rules = make_rules("UTC", weekly={0: ((time(9), time(10)), (time(10), time(11)))})
    starts = [s.start.strftime("%H:%M") for s in slots_on(rules, date(2026, 6, 1))]
    assert "09:45" in starts and starts[-1] == "10:30"


def test_window_to_midnight():
    rules = make_rules("Europe/Prague", weekly={0: ((time(23), time(0)),)})
    found = slots_on(rules, date(2026, 6, 1))
    assert readings(found, "Europe/Prague") == ["23:00+0200", "23:15+0200", "23:30+0200"]


def test_picker_labels_repeated_wall_clock_times_with_their_zone(app):
    from kendama.blueprints.booking.picker import labelled

    rules = make_rules("Europe/Prague", weekly={6: ((time(1), time(4)),)})
    found = slots_on(rules, date(2026, 10, 25), minutes=15)
    labels = [label for _, label in labelled(found, "Europe/Prague")]
    assert labels[:4] == ["01:00", "01:15", "01:30", "01:45"]
    assert "02:15 CEST" in labels and "02:15 CET" in labels and "03:00" in labels


def test_a_window_lost_to_the_skipped_hour_does_not_end_the_day():
    """On a spring-forward day, hours after a window that fell into the gap are still offered."""
    rules = make_rules("Europe/Prague", overrides={date(2026, 3, 29): ((time(2), time(2, 45)), (time(10), time(11)))})
    assert readings(slots_on(rules, date(2026, 3, 29)), "Europe/Prague") == ["10:00+0200", "10:15+0200", "10:30+0200"]


def test_a_slot_that_fits_exactly_between_two_sessions_is_offered():
    rules = make_rules("UTC", weekly={0: ((time(9), time(12)),)})
    day = datetime(2026, 6, 1, tzinfo=UTC)
    booked = [
        seconds(day.replace(hour=9), day.replace(hour=9, minute=30)),
        seconds(day.replace(hour=10), day.replace(hour=10, minute=30)),
    ]
    starts = [s.start.strftime("%H:%M") for s in slots_on(rules, date(2026, 6, 1), sessions=booked)]
    assert starts[:2] == ["09:30", "10:30"]


def test_late_evening_hours_are_read_on_the_players_own_calendar():
    """22:30 in New York is already the next day in UTC: the window is still that evening's."""
    rules = make_rules("America/New_York", weekly={d: ((time(22), time(0)),) for d in range(7)})
    tz = ZoneInfo("America/New_York")
    start = datetime(2026, 6, 1, 22, 30, tzinfo=tz).astimezone(UTC)
    end = datetime(2026, 6, 2, 0, 0, tzinfo=tz).astimezone(UTC)
    found = list(compute_slots(rules, timedelta(minutes=30), start, end, LONG_AGO))
    assert readings(found, "America/New_York") == ["22:30-0400", "22:45-0400", "23:00-0400", "23:15-0400", "23:30-0400"]


def test_a_busy_time_keeps_the_buffer_after_it():
    rules = make_rules("UTC", weekly={0: ((time(9), time(12)),)}, buffer=15)
    day = datetime(2026, 6, 1, tzinfo=UTC)
    busy = [seconds(day.replace(hour=10), day.replace(hour=10, minute=30))]
    starts = [s.start.strftime("%H:%M") for s in slots_on(rules, date(2026, 6, 1), busy=busy)]
    assert "10:30" not in starts and "10:45" in starts


def test_slots_grouped_by_day_keep_every_slot_in_order_under_its_local_date():
    late, early, next_day = (
        Slot(datetime(2026, 6, 1, h, m, tzinfo=UTC), datetime(2026, 6, 1, h, m, tzinfo=UTC) + timedelta(minutes=30))
        for h, m in ((20, 0), (21, 45), (22, 15))
    )
    assert group_by_day([late, early, next_day], "Europe/Prague") == {
        date(2026, 6, 1): [late, early],  # 22:00 and 23:45 in Prague
        date(2026, 6, 2): [next_day],  # 00:15
    }


def test_a_computed_list_stays_right_until_its_first_slot_falls_inside_the_notice():
    rules = make_rules("UTC", notice=90)
    first = datetime(2026, 6, 1, 9, 15, tzinfo=UTC)
    assert fresh_until(first, rules) == datetime(2026, 6, 1, 7, 45, tzinfo=UTC)
    assert fresh_until(None, rules) is None  # nothing listed: nothing the clock can take away
