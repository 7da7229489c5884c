"""Checkout idempotency keys are unique over time, not only among the rows of one database.

An embedded default whose SQLite file is made afresh (or a test rolled back) hands out session ids
again, while the Stripe sandbox beside it (like Stripe, for a day) remembers the keys it saw: a
key made of the id and the hold's time was replayed for another booking, which then had no
Checkout ("Keys for idempotent requests can only be used with the same parameters").
"""

from __future__ import annotations

import pytest

from kendama.extensions import db
from kendama.models import LiveSession, Payment
from kendama.services.booking import lifecycle
from kendama.services.payments import checkout

from ...support.booking_helpers import weekday_at
from ...support.factories import FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def test_a_booking_that_gets_an_earlier_bookings_id_gets_its_own_checkout(app):
    player, start = PlayerFactory(setup__paid=True, setup__price=2500), weekday_at(10)
    first = lifecycle.create_session(FanFactory(), player.id, start, 30)
    first_key = checkout.open_payment(first).idempotency_key
    session_id = first.id
    db.session.query(Payment).filter_by(session_id=session_id).delete()
    db.session.query(LiveSession).filter_by(id=session_id).delete()
    db.session.commit()  # as if the database had been made afresh: the id is free again on SQLite

    player.profile.offerings[0].price_amount = 1800  # the same id and time, another request
    db.session.commit()
    second = lifecycle.create_session(FanFactory(), player.id, start, 30)
    opened = checkout.open_payment(second)
    assert opened is not None and opened.checkout_url, "the sandbox replayed the earlier booking's key"
    assert opened.idempotency_key != first_key
