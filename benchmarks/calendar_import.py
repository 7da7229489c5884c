"""How long reading an imported calendar takes: parse, expand recurrences, merge.

Builds feeds with the icalendar library (one-off events plus weekly and daily series with
exceptions, in several zones) and times calendars.imports.busy_intervals over the import
window. This runs in a background job; the numbers say how long a sync keeps a worker busy.
Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/calendar_import.py
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from icalendar import Calendar, Event  # noqa: E402

from kendama import create_app  # noqa: E402
from kendama.services.calendars import imports  # noqa: E402

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
ZONES = [ZoneInfo(name) for name in ("Europe/Prague", "America/New_York", "Asia/Tokyo", "Australia/Sydney")]


def build_feed(one_off: int, weekly: int, daily: int) -> bytes:
    events = []
    for i in range(one_off):
        start = (NOW - timedelta(days=30) + timedelta(hours=7 * i)).astimezone(ZONES[i % len(ZONES)])
        events.append(
            Event.new(
                uid=f"one-{i}",
                start=start,
                end=start + timedelta(minutes=45),
                stamp=NOW,
                summary=f"Appointment {i}",
                description="Notes " * 20,
            )
        )
    for kind, count, rule in (("weekly", weekly, {"freq": "weekly"}), ("daily", daily, {"freq": "daily"})):
        for i in range(count):
            start = datetime(2026, 1, 5, 8 + i % 10, 0, tzinfo=ZONES[i % len(ZONES)])
            series = Event.new(uid=f"{kind}-{i}", start=start, end=start + timedelta(hours=1), stamp=NOW)
            series.add("RRULE", rule)
            series.add("EXDATE", start + timedelta(days=7 * 42))
            events.append(series)
    return Calendar.new(prodid="-//Kendama benchmark//EN", subcomponents=events).to_ical()


def measure(app, label: str, body: bytes) -> None:
    window = (NOW - timedelta(days=1), NOW + timedelta(days=63))
    runs = []
    with app.app_context():
        for _ in range(3):
            started = time.perf_counter()
            intervals = imports.busy_intervals(body, "Europe/Prague", *window)
            runs.append(time.perf_counter() - started)
    print(
        f"{label}: {len(body) / 1024 / 1024:.2f} MB, {len(intervals)} busy intervals after merging; "
        f"median {statistics.median(runs) * 1000:.0f} ms, max {max(runs) * 1000:.0f} ms"
    )


def main() -> None:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    measure(app, "4000 one-off events + 45 series", build_feed(one_off=4000, weekly=40, daily=5))
    # 300 daily series: at most 300 x 65 = 19500 occurrences by the bound, just under MAX_OCCURRENCES.
    measure(app, "recurrences at the cap (300 daily series)", build_feed(one_off=0, weekly=0, daily=300))


if __name__ == "__main__":
    main()
