"""Earnings by month: which payments and refunds count, in which month and zone, and the sums."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from kendama.extensions import db
from kendama.models import Payment, Refund
from kendama.services.access import ADMINS_ONLY, PLAYERS_ONLY
from kendama.services.errors import NotAllowed
from kendama.services.payments import earnings

from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def pay(session, amount: int, fee: int, paid_at: datetime, *, currency: str = "usd", status: str = "paid") -> Payment:
    payment = Payment(
        session_id=session.id,
        amount=amount,
        currency=currency,
        application_fee_amount=fee,
        status=status,
        paid_at=paid_at,
        idempotency_key=uuid.uuid4().hex,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def refund(payment: Payment, amount: int, fee_back: int, completed_at: datetime, *, status: str = "succeeded") -> None:
    db.session.add(
        Refund(
            session_id=payment.session_id,
            payment_id=payment.id,
            amount=amount,
            currency=payment.currency,
            fee_refund_amount=fee_back,
            status=status,
            completed_at=completed_at,
            idempotency_key=uuid.uuid4().hex,
        )
    )
    db.session.commit()


def line(totals: earnings.Totals) -> list[tuple]:
    return [(m.month, m.currency, m.payments, m.gross, m.fee, m.refunded, m.fee_refunded) for m in totals.lines]


def test_a_month_adds_payments_and_takes_off_refunds_with_their_fee():
    session = LiveSessionFactory(player=PlayerFactory(timezone="UTC"))
    first = pay(session, 2500, 375, datetime(2026, 5, 3, 12, tzinfo=UTC))
    pay(session, 999, 150, datetime(2026, 5, 20, 12, tzinfo=UTC))
    refund(first, 1250, 188, datetime(2026, 5, 21, 12, tzinfo=UTC))
    totals = earnings.player_earnings(session.player)
    assert line(totals) == [(date(2026, 5, 1), "usd", 2, 3499, 525, 1250, 188)]
    (month,) = totals.lines
    assert month.net == 3499 - 525 - (1250 - 188) == 1912
    assert month.platform_net == 525 - 188 == 337


def test_only_paid_payments_and_succeeded_refunds_count():
    session = LiveSessionFactory(player=PlayerFactory(timezone="UTC"))
    paid = pay(session, 2000, 300, datetime(2026, 5, 3, tzinfo=UTC))
    pay(session, 5000, 750, datetime(2026, 5, 4, tzinfo=UTC), status="open")
    pay(session, 7000, 1050, datetime(2026, 5, 5, tzinfo=UTC), status="expired")
    for status in ("pending", "failed", "dead"):
        refund(paid, 100, 15, datetime(2026, 5, 6, tzinfo=UTC), status=status)
    assert line(earnings.player_earnings(session.player)) == [(date(2026, 5, 1), "usd", 1, 2000, 300, 0, 0)]


def test_months_are_on_the_players_clock_newest_first_and_refunds_count_when_they_succeed():
    """23:30 UTC on 31 May is already June in Prague; a refund counts in the month it went through."""
    session = LiveSessionFactory(player=PlayerFactory(timezone="Europe/Prague"))
    late_may = pay(session, 1000, 150, datetime(2026, 5, 31, 23, 30, tzinfo=UTC))
    early_may = pay(session, 3000, 450, datetime(2026, 5, 2, 9, tzinfo=UTC))
    refund(early_may, 3000, 450, datetime(2026, 7, 1, 8, tzinfo=UTC))
    refund(late_may, 500, 75, datetime(2026, 6, 30, 21, 59, tzinfo=UTC))  # 23:59 in Prague: still June
    assert line(earnings.player_earnings(session.player)) == [
        (date(2026, 7, 1), "usd", 0, 0, 0, 3000, 450),
        (date(2026, 6, 1), "usd", 1, 1000, 150, 500, 75),
        (date(2026, 5, 1), "usd", 1, 3000, 450, 0, 0),
    ]


def test_a_player_without_a_zone_counts_months_in_utc():
    session = LiveSessionFactory(player=PlayerFactory(timezone="Europe/Prague"))
    pay(session, 1000, 150, datetime(2026, 5, 31, 23, 30, tzinfo=UTC))
    session.player.timezone = ""
    assert line(earnings.player_earnings(session.player)) == [(date(2026, 5, 1), "usd", 1, 1000, 150, 0, 0)]


def test_a_player_sees_only_their_own_sessions_and_the_platform_sees_all():
    mine = LiveSessionFactory(player=PlayerFactory(timezone="UTC"))
    theirs = LiveSessionFactory(player=PlayerFactory(timezone="UTC"), fan=FanFactory())
    pay(mine, 1000, 150, datetime(2026, 5, 3, tzinfo=UTC))
    pay(theirs, 4000, 600, datetime(2026, 5, 3, tzinfo=UTC), currency="eur")
    assert line(earnings.player_earnings(mine.player)) == [(date(2026, 5, 1), "usd", 1, 1000, 150, 0, 0)]
    assert line(earnings.platform_revenue(AdminFactory())) == [
        (date(2026, 5, 1), "usd", 1, 1000, 150, 0, 0),
        (date(2026, 5, 1), "eur", 1, 4000, 600, 0, 0),
    ]


def test_platform_months_follow_the_admins_zone():
    session = LiveSessionFactory()
    pay(session, 1000, 150, datetime(2026, 5, 31, 23, 30, tzinfo=UTC))
    admin = AdminFactory()
    assert [m.month for m in earnings.platform_revenue(admin).lines] == [date(2026, 5, 1)]
    assert [m.month for m in earnings.platform_revenue(admin, "Europe/Prague").lines] == [date(2026, 6, 1)]


def test_totals_by_currency_add_every_month_up():
    session = LiveSessionFactory(player=PlayerFactory(timezone="UTC"))
    may = pay(session, 2500, 375, datetime(2026, 5, 3, tzinfo=UTC))
    pay(session, 1000, 150, datetime(2026, 6, 3, tzinfo=UTC))
    pay(session, 900, 135, datetime(2026, 6, 4, tzinfo=UTC), currency="eur")
    refund(may, 500, 75, datetime(2026, 6, 5, tzinfo=UTC))
    by_currency = earnings.player_earnings(session.player).by_currency()
    assert [(m.currency, m.payments, m.gross, m.fee, m.refunded, m.fee_refunded) for m in by_currency] == [
        ("eur", 1, 900, 135, 0, 0),
        ("usd", 2, 3500, 525, 500, 75),
    ]
    assert [m.net for m in by_currency] == [765, 3500 - 525 - 425]


def test_only_players_have_earnings_and_only_admins_see_the_platforms():
    with pytest.raises(NotAllowed) as fan:
        earnings.player_earnings(FanFactory())
    assert fan.value.message == PLAYERS_ONLY
    with pytest.raises(NotAllowed) as player:
        earnings.platform_revenue(PlayerFactory())
    assert player.value.message == ADMINS_ONLY


def test_two_refunds_in_a_month_both_count():
    session = LiveSessionFactory(player=PlayerFactory(timezone="UTC"))
    payment = pay(session, 2500, 375, datetime(2026, 5, 3, tzinfo=UTC))
    refund(payment, 1000, 150, datetime(2026, 5, 4, tzinfo=UTC))
    refund(payment, 500, 75, datetime(2026, 5, 5, tzinfo=UTC))
    assert line(earnings.player_earnings(session.player)) == [(date(2026, 5, 1), "usd", 1, 2500, 375, 1500, 225)]
