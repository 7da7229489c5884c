"""Stripe webhooks under load: N paid Checkouts confirmed by N signed events posted concurrently.

    .venv/bin/python benchmarks/payments_webhooks.py [--sessions 200] [--concurrency 20]

Starts the app with gunicorn (gunicorn.conf.py) on a scratch PostgreSQL database, with no Stripe
key, and a second copy serving the Stripe sandbox as "Stripe" (STRIPE_SANDBOX_URL; both share the
sandbox's SQLite file): an app answering its own provider calls would measure its own thread pool.
Seeds SESSIONS held paid bookings and opens a Checkout for each through the real adapter (timed:
the Checkout round trip). Then the sandbox takes every payment, and the
`checkout.session.completed` events are posted, signed, to /webhooks/stripe by CONCURRENCY
clients (each handler re-reads its Checkout from the sandbox), then all of them once more
(duplicates, which must change nothing). Prints latency percentiles and rates, then checks that
every booking is confirmed exactly once. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import requests
from harness import app_environment, free_port, gunicorn, scratch_database  # noqa: I001 - puts the root on sys.path
from sqlalchemy import func, select

from kendama import create_app
from kendama.extensions import db
from kendama.integrations.stripe.sandbox import cards, delivery, ledger, store
from kendama.integrations.stripe.sandbox import config as sandbox_config
from kendama.models import LiveSession, Notification, WebhookEvent, utcnow
from kendama.services.payments import checkout
from kendama.services.payments.money import split_price
from tests.support.factories import FanFactory, PlayerFactory


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def seed(sessions: int) -> list[int]:
    """Held paid bookings, each with its own fan, spread over a few paid players."""
    players = [PlayerFactory(setup__paid=True) for _ in range(max(1, sessions // 20))]
    split = split_price(2500)
    ids = []
    for index in range(sessions):
        start = (utcnow() + timedelta(days=2 + index // 10)).replace(minute=0, second=0, microsecond=0)
        session = LiveSession(
            fan_id=FanFactory().id,
            player_id=players[index % len(players)].id,
            starts_at=start + timedelta(hours=index % 10),
            ends_at=start + timedelta(hours=index % 10, minutes=30),
            blocked_until=start + timedelta(hours=index % 10, minutes=30),
            duration_minutes=30,
            status="pending_payment",
            price_amount=2500,
            currency="usd",
            platform_fee_amount=split.platform_fee,
            player_share_amount=split.player_share,
            hold_expires_at=utcnow() + timedelta(minutes=30),
        )
        db.session.add(session)
        db.session.commit()
        ids.append(session.id)
    return ids


def post_all(url: str, secret: str, bodies: list[str], concurrency: int) -> tuple[list[float], list[int], float]:
    def post(body: str) -> tuple[float, int]:
        started = time.perf_counter()
        headers = {"Content-Type": "application/json", "Stripe-Signature": delivery.signature_header(secret, body)}
        try:
            status = requests.post(url, data=body, headers=headers, timeout=60).status_code
        except requests.RequestException:
            status = 0
        return time.perf_counter() - started, status

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(post, bodies))
    return [r[0] for r in results], [r[1] for r in results], time.perf_counter() - started


def report(label: str, latencies: list[float], statuses: list[int], elapsed: float) -> None:
    errors = sum(1 for s in statuses if s != 200)
    print(
        f"{label}: {len(latencies)} requests, {errors} not 200, {len(latencies) / elapsed:.1f}/s, "
        f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    port, provider_port = free_port(), free_port()
    base, provider = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{provider_port}"
    sandbox_db = str(Path(tempfile.mkdtemp(prefix="stripe-bench-")) / "sandbox.sqlite3")
    sandbox_url = provider + sandbox_config.URL_PREFIX
    with scratch_database() as database_url:
        env = app_environment(database_url, port, STRIPE_SANDBOX_DB=sandbox_db, STRIPE_SANDBOX_URL=sandbox_url)
        provider_env = app_environment(database_url, provider_port, STRIPE_SANDBOX_DB=sandbox_db)
        setup = create_app(
            "development",
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "BASE_URL": base,
                "STRIPE_SANDBOX_DB": sandbox_db,
                "STRIPE_SANDBOX_URL": sandbox_url,
            },
        )
        with setup.app_context():
            db.create_all()
            session_ids = seed(args.sessions)
        with gunicorn("app:app", provider_env, provider), gunicorn("app:app", env, base):
            with setup.app_context():
                opened, checkout_ids = [], []
                for session_id in session_ids:
                    started = time.perf_counter()
                    checkout_ids.append(checkout.open_checkout(session_id).checkout_session_id)
                    opened.append(time.perf_counter() - started)
                print(
                    f"open_checkout (adapter -> sandbox over HTTP, sequential): {len(opened)} checkouts, "
                    f"p50 {statistics.median(opened) * 1000:.0f} ms, p95 {percentile(opened, 0.95) * 1000:.0f} ms"
                )
                card = cards.check("4242424242424242", "12/34", "123", date.today())
                with store.transaction(sandbox_db) as tx:
                    for checkout_id in checkout_ids:
                        ledger.pay(tx, checkout_id, card)
                events = [e["event"] for e in store.events(sandbox_db, event_type="checkout.session.completed")]
                for event in events:  # posted by this script instead of the sandbox's own delivery
                    store.event_delivered(sandbox_db, event["id"])
                bodies = [json.dumps(event) for event in events]
                secret = sandbox_config.webhook_secret(setup)

            url = f"{base}/webhooks/stripe"
            report("first deliveries", *post_all(url, secret, bodies, args.concurrency))
            report("duplicate deliveries", *post_all(url, secret, bodies, args.concurrency))

            with setup.app_context():
                confirmed = db.session.scalar(
                    select(func.count(LiveSession.id)).where(
                        LiveSession.id.in_(session_ids), LiveSession.status == "confirmed"
                    )
                )
                recorded = db.session.scalar(select(func.count(WebhookEvent.id)))
                received = db.session.scalar(
                    select(func.count(Notification.id)).where(Notification.kind == "payment_received")
                )
                print(
                    f"confirmed: {confirmed}/{len(session_ids)}; events recorded: {recorded}; receipts queued: {received}"
                )
                print("OK" if confirmed == recorded == received == len(session_ids) else "FAIL")
                db.session.remove()
                db.engine.dispose()


if __name__ == "__main__":
    main()
