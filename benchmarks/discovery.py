"""How long the discovery page takes as the catalogue grows, in-process, on PostgreSQL.

Seeds N listed players (weekday availability 09:00-17:00 in their zones, one or two offerings,
a dozen booked sessions each over the next two weeks), then times GET /players through the
test client (the whole request: form parsing, queries, template) for each sort, and with the
"free in the next 7 days" filter. Sorting by the soonest free time, and that filter, compute
every match's next free start (in bulk: a fixed number of queries), so they grow with N; the
name and price sorts read one page. Prints the median and p95 per case and the number of SQL
statements of one request. Uses a scratch database (dropped at the end). Asserts nothing.

    .venv/bin/python benchmarks/discovery.py [players ...]     (default: 12 100 500)
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from kendama import create_app  # noqa: E402
from kendama.extensions import db  # noqa: E402
from kendama.models import (  # noqa: E402
    LiveSession,
    Offering,
    Profile,
    SessionAvailability,
    User,
    WeeklyWindow,
    utcnow,
)
from tests.support import postgres  # noqa: E402

ZONES = ("Europe/Prague", "America/New_York", "Asia/Tokyo", "Europe/Lisbon")
CASES = (
    ("sort=soonest (default)", "/players"),
    ("sort=name", "/players?sort=name"),
    ("sort=price", "/players?sort=price"),
    ("free in the next 7 days, by name", "/players?week=y&sort=name"),
    ("text search 'kendama', soonest", "/players?q=kendama"),
)


def seed(count: int, start_index: int, fan_id: int) -> None:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    for index in range(start_index, start_index + count):
        zone = ZONES[index % len(ZONES)]
        user = User(
            email=f"bench-{index}@example.com",
            password_hash="-",
            role="player",
            display_name=f"Player {index:04d}",
            timezone=zone,
        )
        db.session.add(user)
        db.session.flush()
        profile = Profile(
            user_id=user.id,
            bio=f"Kendama coach number {index}.",
            accepts_bookings=True,
            verification_state="verified",
            currency="usd",
        )
        profile.offerings = [Offering(duration_minutes=30, price_amount=(index % 5) * 500)]
        if index % 2:
            profile.offerings.append(Offering(duration_minutes=15, price_amount=0))
        availability = SessionAvailability(
            player_id=user.id, timezone=zone, buffer_minutes=5, min_notice_minutes=60, max_days_ahead=30
        )
        availability.windows = [WeeklyWindow(weekday=d, start_time=clock(9), end_time=clock(17)) for d in range(5)]
        sessions = []
        for n in range(12):
            starts = now + timedelta(days=1 + n, hours=index % 8)
            sessions.append(
                LiveSession(
                    fan_id=fan_id,
                    player_id=user.id,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=30),
                    blocked_until=starts + timedelta(minutes=35),
                    duration_minutes=30,
                )
            )
        db.session.add_all([profile, availability, *sessions])
    db.session.commit()


def timed(client, url: str, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return samples


def statements_of(client, url: str) -> int:
    seen = []

    def record(*args):
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(seen)


def main(sizes: list[int]) -> None:
    url = postgres.create_database("kendama_bench_discovery")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            db.create_all()
            fan = User(email="bench-fan@example.com", password_hash="-", role="fan", display_name="Fan")
            db.session.add(fan)
            db.session.commit()
            seeded = 0
            client = app.test_client()
            for size in sizes:
                seed(size - seeded, seeded, fan.id)
                seeded = size
                print(f"\n{size} listed players (12 per page)")
                for name, path in CASES:
                    timed(client, path, 3)  # warm up
                    samples = sorted(timed(client, path, 30))
                    p95 = samples[int(len(samples) * 0.95) - 1]
                    print(
                        f"  {name:<36} median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms"
                        f"   {statements_of(client, path)} statements"
                    )
    finally:
        with app.app_context():
            db.engine.dispose()
        postgres.drop_database(url)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [12, 100, 500])
