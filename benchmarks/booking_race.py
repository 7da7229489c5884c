"""200 concurrent booking attempts over HTTP at 20 slots: exactly 20 bookings, no overlap, no 5xx.

Starts gunicorn (production settings, the project's gunicorn.conf.py) on a free port against a
scratch PostgreSQL database, with jobs going to a throw-away Redis queue that no worker reads (so
the figures are the web tier's own). Seeds one free player and 200 fans with API tokens, fires
ten fans at each of 20 back-to-back 30-minute slots at once, then checks the database. Prints
numbers and OK/FAIL lines; removes the database and the queue afterwards.

    .venv/bin/python benchmarks/booking_race.py [attempts] [slots]
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

import requests
from cryptography.fernet import Fernet
from harness import free_port, gunicorn  # noqa: I001 - harness puts the project root on sys.path first
from rq import Queue  # noqa: E402
from sqlalchemy import text  # noqa: E402

from kendama import create_app  # noqa: E402
from kendama.extensions import db  # noqa: E402
from kendama.models import (  # noqa: E402
    Offering,
    PlatformSetting,
    Profile,
    SessionAvailability,
    User,
    VerificationState,
    WeeklyWindow,
    utcnow,
)
from kendama.services.accounts import api_tokens  # noqa: E402
from kendama.services.booking import rollout
from kendama.services.timezones import iso_utc  # noqa: E402
from kendama.tasks.queue import redis_connection  # noqa: E402
from tests.support import postgres  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def seed(app, fans: int) -> tuple[int, list[str]]:
    """One verified free player available all day, and `fans` fans with API tokens."""
    with app.app_context():
        db.create_all()
        player = User(email="race-player@example.com", password_hash="-", role="player", display_name="Player")
        db.session.add(player)
        db.session.flush()
        profile = Profile(
            user_id=player.id, bio="Bench", accepts_bookings=True, verification_state=VerificationState.VERIFIED.value
        )
        profile.offerings = [Offering(duration_minutes=30, price_amount=0)]
        availability = SessionAvailability(
            player_id=player.id, timezone="UTC", buffer_minutes=0, min_notice_minutes=0, max_days_ahead=30
        )
        availability.windows = [WeeklyWindow(weekday=d, start_time=clock(0), end_time=clock(0)) for d in range(7)]
        # As an admin opens the rollout switch: production starts with it off unless payments and
        # video are configured (kendama/start_checks.py), and this free player needs neither.
        db.session.add_all([profile, availability, PlatformSetting(key=rollout.SETTING_KEY, value="everyone")])
        users = [
            User(email=f"race-fan-{n}@example.com", password_hash="-", role="fan", display_name=f"Fan {n}")
            for n in range(fans)
        ]
        db.session.add_all(users)
        db.session.commit()
        raw_tokens = [api_tokens.issue_token(user)[0] for user in users]
        return player.id, raw_tokens


def server_environment(port: int, database_url: str, queue_name: str) -> dict[str, str]:
    return {
        **os.environ,
        "KENDAMA_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "CALENDAR_SECRETS_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": queue_name,
        "BASE_URL": f"https://127.0.0.1:{port}",  # only links are built from it; production requires https
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "RATELIMIT_BOOKING": "100000 per minute",
        "LIVE_SESSIONS_DEFAULT": "off",  # seed() opens the switch
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
    }


def race(port: int, player_id: int, raw_tokens: list[str], slot_count: int):
    """Fire every attempt at once; returns [(status, seconds)] and the wall time."""
    first = (utcnow() + timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
    starts = [iso_utc(first + timedelta(minutes=30 * n)) for n in range(slot_count)]
    barrier = threading.Barrier(len(raw_tokens))
    url = f"http://127.0.0.1:{port}/api/sessions"

    def attempt(index: int):
        http = requests.Session()
        body = {"player_id": player_id, "start": starts[index % slot_count], "duration_minutes": 30}
        headers = {"Authorization": f"Bearer {raw_tokens[index]}"}
        barrier.wait()
        began = time.perf_counter()
        response = http.post(url, json=body, headers=headers, timeout=60)
        return response.status_code, time.perf_counter() - began

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(raw_tokens)) as pool:
        results = list(pool.map(attempt, range(len(raw_tokens))))
    return results, time.perf_counter() - began


def check(app, player_id: int, slot_count: int) -> tuple[int, int]:
    """(active bookings of the player, overlapping pairs among them)."""
    with app.app_context():
        booked = db.session.execute(
            text("select count(*) from sessions where player_id = :p and status in ('confirmed','pending_payment')"),
            {"p": player_id},
        ).scalar_one()
        overlaps = db.session.execute(
            text(
                "select count(*) from sessions a join sessions b on a.id < b.id and a.player_id = b.player_id "
                "and tstzrange(a.starts_at, a.blocked_until) && tstzrange(b.starts_at, b.blocked_until) "
                "where a.player_id = :p and a.status <> 'cancelled' and b.status <> 'cancelled'"
            ),
            {"p": player_id},
        ).scalar_one()
        return booked, overlaps


def main(attempts: int, slot_count: int) -> int:
    url = postgres.create_database("kendama_bench_race")
    queue_name = f"bench-race-{secrets.token_hex(4)}"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "JOBS_INLINE": True})
    log_path = Path("/tmp") / f"{queue_name}-gunicorn.log"
    try:
        player_id, raw_tokens = seed(app, attempts)
        port = free_port()
        env = server_environment(port, url, queue_name)
        with open(log_path, "w") as log, gunicorn("app:app", env, f"http://127.0.0.1:{port}", log=log):
            results, wall = race(port, player_id, raw_tokens, slot_count)
        statuses = [status for status, _ in results]
        latencies = sorted(seconds * 1000 for _, seconds in results)
        created = statuses.count(201)
        booked, overlaps = check(app, player_id, slot_count)
        p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)]
        print(
            f"{attempts} concurrent attempts at {slot_count} slots, gunicorn {os.environ.get('WEB_CONCURRENCY', '2')}x4 threads"
        )
        print(f"wall time {wall:.2f} s: {attempts / wall:.0f} requests/s, {created / wall:.1f} bookings/s")
        print(f"latency p50 {statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms, max {latencies[-1]:.0f} ms")
        print("statuses: " + ", ".join(f"{code} x{statuses.count(code)}" for code in sorted(set(statuses))))
        server_errors = sum(1 for status in statuses if status >= 500)
        print(f"5xx responses: {server_errors}")
        ok = created == booked == slot_count and overlaps == 0 and server_errors == 0
        print(
            f"{'OK' if ok else 'FAIL'}: {booked} bookings in the database (want {slot_count}), {overlaps} overlapping pairs"
        )
        return 0 if ok else 1
    finally:
        with app.app_context():
            db.engine.dispose()
            connection = redis_connection() if app.config.get("REDIS_URL") else None
        postgres.drop_database(url)
        from redis import Redis

        Queue(queue_name, connection=connection or Redis.from_url(REDIS_URL)).empty()


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, int(sys.argv[2]) if len(sys.argv) > 2 else 20))
