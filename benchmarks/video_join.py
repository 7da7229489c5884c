"""Concurrent joins: 500 sessions live at once, both participants joining within the same minute.

    .venv/bin/python benchmarks/video_join.py [--sessions 500] [--concurrency 50] [--spread 0] [--lazy-rooms]

Seeds a scratch PostgreSQL database with SESSIONS confirmed sessions whose rooms open now, each
with its own fan and player holding an API token; starts the app with gunicorn (gunicorn.conf.py)
and a second copy of it serving the video sandbox as "the provider" (as load.py does: the
provider is another service, and an app calling itself would measure its own thread pool). The
rooms are made first by the periodic job (video.prepare_rooms), as in production; --lazy-rooms
leaves that to the first join of each session instead. Then it sends the 2 x SESSIONS
`POST /api/sessions/:id/join` requests in random order: with --spread 0 as fast as CONCURRENCY
clients can (throughput), with --spread 60 each at a random moment of one minute (the arrival the
issue describes). Prints errors, p50/p99 latency and requests per second, then checks that every
session is in progress with both participants marked as joined. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import requests
from harness import app_environment, free_port, gunicorn, scratch_database  # noqa: I001 - puts the root on sys.path
from sqlalchemy import func, select

from kendama import create_app
from kendama.extensions import db
from kendama.models import LiveSession, User, utcnow
from kendama.services.accounts import api_tokens
from kendama.services.video import calls


@dataclass
class Outcome:
    status: int  # 0: no answer (connection error, timeout)
    seconds: float


def seed(database_url: str, sessions: int) -> list[tuple[int, str]]:
    """Sessions open now, each with its own fan and player; returns (session id, bearer token) per join."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        start = (utcnow() + timedelta(minutes=5)).replace(microsecond=0)  # the room opened 5 minutes ago
        joins = []
        for i in range(sessions):
            fan = User(
                email=f"fan{i}@bench.test",
                password_hash="-",
                role="fan",
                display_name=f"Fan {i}",
                timezone="Europe/Prague",
                calendar_token=f"f{i}",
            )
            player = User(
                email=f"player{i}@bench.test",
                password_hash="-",
                role="player",
                display_name=f"Player {i}",
                timezone="Europe/Prague",
                calendar_token=f"p{i}",
            )
            db.session.add_all([fan, player])
            db.session.flush()
            session = LiveSession(
                fan_id=fan.id,
                player_id=player.id,
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
                blocked_until=start + timedelta(minutes=30),
                duration_minutes=30,
                status="confirmed",
                price_amount=0,
                currency="usd",
                fan_recording_consent=True,
                player_recording_consent=True,
            )
            db.session.add(session)
            db.session.flush()
            joins += [(session.id, api_tokens.issue_token(fan)[0]), (session.id, api_tokens.issue_token(player)[0])]
        db.session.commit()
    return joins


def make_rooms(database_url: str, provider_url: str) -> tuple[int, float]:
    """What the periodic job does ahead of the start: one room per session at the provider."""
    # The servers' SECRET_KEY, from which the sandbox's API key is derived.
    secret = app_environment(database_url, 0)["SECRET_KEY"]
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": database_url, "VIDEO_SANDBOX_URL": provider_url, "SECRET_KEY": secret}
    )
    with app.app_context():
        started = time.perf_counter()
        made = calls.prepare_rooms(limit=100_000)
        return made, time.perf_counter() - started


def check(database_url: str) -> tuple[int, int]:
    """Sessions in progress, and sessions with both participants marked as joined."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        in_progress = db.session.scalar(select(func.count()).where(LiveSession.status == "in_progress"))
        both = db.session.scalar(
            select(func.count()).where(
                LiveSession.fan_joined_at.is_not(None), LiveSession.player_joined_at.is_not(None)
            )
        )
        return in_progress, both


_local = threading.local()


def join(url: str, session_id: int, token: str, at: float | None) -> Outcome:
    if at is not None:
        time.sleep(max(0.0, at - time.perf_counter()))
    http = getattr(_local, "http", None) or requests.Session()
    _local.http = http
    started = time.perf_counter()
    try:
        response = http.post(
            f"{url}/api/sessions/{session_id}/join", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        ok = response.status_code == 200 and response.json().get("token")
        return Outcome(response.status_code if ok else -response.status_code, time.perf_counter() - started)
    except requests.RequestException:
        return Outcome(0, time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50, help="clients at once (with --spread 0)")
    parser.add_argument("--spread", type=float, default=0, help="spread the joins over this many seconds")
    parser.add_argument("--lazy-rooms", action="store_true", help="let the first join make each room")
    parser.add_argument(
        "--embedded", action="store_true", help="the app serves the sandbox itself (the embedded default) instead"
    )
    args = parser.parse_args()

    import tempfile
    from pathlib import Path

    with scratch_database("kendama_bench_video") as database_url, tempfile.TemporaryDirectory() as tmp:
        joins = seed(database_url, args.sessions)
        random.Random(11).shuffle(joins)
        app_port, provider_port = free_port(), free_port()
        provider = f"http://127.0.0.1:{provider_port}"
        shared = {
            "VIDEO_SANDBOX_DB": str(Path(tmp) / "video.sqlite3"),
            "VIDEO_SANDBOX_DELIVER_WEBHOOKS": "false",
            "RATELIMIT_VIDEO_JOIN": "100 per minute",
        }
        if args.embedded:  # the app's own sandbox, reached without a socket (wsgi_transport.py)
            app_env = app_environment(database_url, app_port, **shared)
            provider = f"http://127.0.0.1:{app_port}"
        else:
            app_env = app_environment(database_url, app_port, VIDEO_SANDBOX_URL=f"{provider}/_sandbox/video", **shared)
        provider_env = app_environment(database_url, provider_port, WEB_CONCURRENCY="1", GUNICORN_THREADS="8", **shared)
        with (
            gunicorn("app:app", provider_env, f"http://127.0.0.1:{provider_port}"),
            gunicorn("app:app", app_env, f"http://127.0.0.1:{app_port}") as app,
        ):
            rooms_line = "rooms made by the first join of each session"
            if not args.lazy_rooms:
                made, seconds = make_rooms(database_url, f"{provider}/_sandbox/video")
                rooms_line = f"rooms made ahead by the periodic job: {made} in {seconds:.1f} s ({made / seconds:.0f}/s)"
            workers = args.concurrency if not args.spread else min(400, len(joins))
            begin = time.perf_counter()
            moments = [begin + random.uniform(0, args.spread) for _ in joins] if args.spread else [None] * len(joins)
            with ThreadPoolExecutor(max_workers=workers) as pool:
                outcomes = list(
                    pool.map(
                        lambda item: join(app.url, item[0][0], item[0][1], item[1]), zip(joins, moments, strict=True)
                    )
                )
            wall = time.perf_counter() - begin
        in_progress, both_joined = check(database_url)

    latencies = [o.seconds * 1000 for o in outcomes if o.status == 200]
    failures: dict[int, int] = {}
    for o in outcomes:
        if o.status != 200:
            failures[o.status] = failures.get(o.status, 0) + 1
    mode = f"spread over {args.spread:.0f} s" if args.spread else f"{args.concurrency} concurrent clients"
    where = "served by the app itself" if args.embedded else "on a second gunicorn"
    print(
        f"\nvideo join: {args.sessions} live sessions, {len(joins)} joins ({mode}), "
        f"gunicorn.conf.py (gthread) + PostgreSQL, sandbox provider {where}"
    )
    print(rooms_line)
    print(
        f"errors: {len(outcomes) - len(latencies)}"
        + (f" {failures} (negative: HTTP status without a token; 0: no answer)" if failures else "")
    )
    if latencies:
        print(
            f"latency ms: p50 {statistics.median(latencies):.1f}, p99 {percentile(latencies, 0.99):.1f}, "
            f"max {max(latencies):.1f}"
        )
    print(f"throughput: {len(outcomes) / wall:.0f} requests/s over {wall:.1f} s")
    print(
        f"check: {in_progress} sessions in progress, {both_joined} with both participants joined "
        f"(expected {args.sessions})"
    )


if __name__ == "__main__":
    main()
