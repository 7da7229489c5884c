"""How long slot computation takes for a busy player, in-process, on PostgreSQL.

The profile from the booking issue: 5 weekly windows, 10 date overrides, 300 existing sessions
and 500 imported busy events, asking for 62 days of 30-minute slots. Uses a scratch database
(dropped at the end). Prints the median and p95 of
  - the computation alone (availability and conflicts already loaded), and
  - a whole `bookable_slots` call, with its three queries (what GET /api/users/:id/availability
    does, minus HTTP);
plus `next_available` for a page of 20 such players. Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/slots.py [repeats]
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kendama import create_app  # noqa: E402
from kendama.extensions import db  # noqa: E402
from kendama.models import (  # noqa: E402
    CalendarBusyTime,
    DateOverride,
    LiveSession,
    SessionAvailability,
    User,
    WeeklyWindow,
    utcnow,
)
from kendama.services.booking import slots  # noqa: E402
from tests.support import postgres  # noqa: E402

DAYS = 62
PLAYERS = 20


def seed_player(index: int, fan_id: int, now: datetime, rng: random.Random) -> int:
    """A player with the benchmark's profile; returns their id."""
    player = User(email=f"bench-player-{index}@example.com", password_hash="-", role="player", display_name=f"P{index}")
    db.session.add(player)
    db.session.flush()
    availability = SessionAvailability(
        player_id=player.id, timezone="Europe/Prague", buffer_minutes=10, min_notice_minutes=120, max_days_ahead=90
    )
    availability.windows = [
        WeeklyWindow(
            weekday=day, start_time=datetime.min.time().replace(hour=9), end_time=datetime.min.time().replace(hour=17)
        )
        for day in range(5)
    ]
    today = now.date()
    availability.overrides = [
        DateOverride(date=today + timedelta(days=3 + 5 * n), start_time=None, end_time=None)
        if n % 2
        else DateOverride(
            date=today + timedelta(days=3 + 5 * n),
            start_time=datetime.min.time().replace(hour=12),
            end_time=datetime.min.time().replace(hour=20),
        )
        for n in range(10)
    ]
    db.session.add(availability)
    base = now.replace(hour=7, minute=0, second=0, microsecond=0) + timedelta(days=1)
    sessions = []
    for n in range(300):  # five a day, an hour apart, on 60 days
        start = base + timedelta(days=n // 5, hours=n % 5 * 2)
        end = start + timedelta(minutes=30)
        sessions.append(
            LiveSession(
                fan_id=fan_id,
                player_id=player.id,
                starts_at=start,
                ends_at=end,
                blocked_until=end + timedelta(minutes=10),
                duration_minutes=30,
                status="confirmed",
            )
        )
    busy = []
    for _ in range(500):
        start = now + timedelta(minutes=15 * rng.randrange(DAYS * 96))
        busy.append(CalendarBusyTime(player_id=player.id, starts_at=start, ends_at=start + timedelta(minutes=45)))
    db.session.add_all(sessions + busy)
    db.session.commit()
    return player.id


def timed(function, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def report(name: str, samples: list[float], extra: str = "") -> None:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"{name:<52} median {statistics.median(ordered):7.2f} ms   p95 {p95:7.2f} ms{extra}")


def main(repeats: int) -> None:
    url = postgres.create_database("kendama_bench_slots")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            db.create_all()
            rng = random.Random(7)
            now = utcnow()
            fan = User(email="bench-fan@example.com", password_hash="-", role="fan", display_name="Fan")
            db.session.add(fan)
            db.session.commit()
            ids = [seed_player(n, fan.id, now, rng) for n in range(PLAYERS)]
            player_id = ids[0]
            start, end = now, now + timedelta(days=DAYS)
            duration = timedelta(minutes=30)

            rules = slots.load_rules([player_id])[player_id]
            sessions, busy = slots.load_conflicts(
                [player_id], start - timedelta(hours=1), end + timedelta(hours=1), now
            )
            found = list(slots.compute_slots(rules, duration, start, end, now, sessions[player_id], busy[player_id]))
            print(
                f"profile: 5 weekly windows, 10 overrides, {len(sessions[player_id])} sessions, "
                f"{len(busy[player_id])} busy events, {DAYS} days -> {len(found)} free 30-minute slots"
            )
            for _ in range(20):  # warm caches (zoneinfo, SQLAlchemy statement cache, connections)
                slots.bookable_slots(player_id, 30, start, end, now=now)

            pure = timed(
                lambda: list(
                    slots.compute_slots(rules, duration, start, end, now, sessions[player_id], busy[player_id])
                ),
                repeats,
            )
            report("computation only (data already loaded)", pure)

            # Inside a request the connection is already checked out (the sign-in lookup ran
            # first), so the timings below are the service calls alone, connection included.
            whole = timed(lambda: slots.bookable_slots(player_id, 30, start, end, now=now), repeats)
            report("bookable_slots with its 3 queries", whole)
            page = timed(lambda: slots.next_available(ids, dict.fromkeys(ids, 30), now=now), max(repeats // 5, 20))
            report(f"next_available for {PLAYERS} players (3 queries)", page)
    finally:
        with app.app_context():
            db.engine.dispose()
        postgres.drop_database(url)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
