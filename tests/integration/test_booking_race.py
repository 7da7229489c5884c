"""Many fans race for one slot over HTTP on PostgreSQL: exactly one booking, the rest 409.

Committed test: every request runs in its own thread with its own app context, so its own
database connection and transaction, as under a real server. It removes what it created.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from kendama.extensions import db
from kendama.models import LiveSession, Payment, User
from kendama.services.accounts import api_tokens
from kendama.services.timezones import iso_utc

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

RACERS = 12


@pytest.mark.committed
@pytest.mark.parametrize("paid", [False, True], ids=["free", "paid"])
def test_concurrent_bookings_of_one_slot(app, paid):
    with app.app_context():
        player = PlayerFactory(setup__buffer=5, setup__paid=paid)
        fans = [FanFactory() for _ in range(RACERS)]
        headers = [{"Authorization": f"Bearer {api_tokens.issue_token(fan)[0]}"} for fan in fans]
        user_ids = [player.id] + [fan.id for fan in fans]
        player_id = player.id
        db.session.remove()
    start = weekday_at(10)
    barrier = threading.Barrier(RACERS)
    statuses: list[int] = []

    def attempt(auth: dict, offset: int) -> None:
        client = app.test_client()
        barrier.wait()
        # Overlapping starts (buffer included) race as hard as identical ones.
        body = {
            "player_id": player_id,
            "start": iso_utc(start + timedelta(minutes=15 * offset)),
            "duration_minutes": 30,
        }
        statuses.append(client.post("/api/sessions", headers=auth, json=body).status_code)

    threads = [threading.Thread(target=attempt, args=(auth, n % 2)) for n, auth in enumerate(headers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(statuses) == [201] + [409] * (RACERS - 1), statuses
        with app.app_context():
            booked = db.session.scalars(select(LiveSession).where(LiveSession.player_id == player_id)).all()
            assert len(booked) == 1
            assert booked[0].status == ("pending_payment" if paid else "confirmed")
    finally:
        with app.app_context():
            sessions = select(LiveSession.id).where(LiveSession.player_id == player_id)
            db.session.execute(delete(Payment).where(Payment.session_id.in_(sessions)))
            db.session.execute(delete(LiveSession).where(LiveSession.player_id == player_id))
            db.session.execute(delete(User).where(User.id.in_(user_ids)))
            db.session.commit()
            db.session.remove()
