"""Lesson packages through the real adapter and the Stripe sandbox: an offer, a purchase paid on the
sandbox's page, booking with credits, credits given back by the policy, pro-rata refunds, expiry,
and a ledger that adds up over every flow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import LiveSession, Notification, PackagePurchase, Payment, Refund
from kendama.services.booking import lifecycle
from kendama.services.errors import InvalidInput, NotFound, WrongState
from kendama.services.payments import checkout, credits, earnings, packages
from kendama.services.payments.money import split_price
from kendama.tasks.queue import dispatch_committed

from ...support.booking_helpers import weekday_at
from ...support.factories import AdminFactory, FanFactory, PlayerFactory
from ...support.payments_helpers import fresh, pay, sandbox_object, wait_for

pytestmark = [pytest.mark.committed, pytest.mark.both_databases]


def player_with_package(lessons: int = 3, price: int = 6000, single: int = 2500):
    player = PlayerFactory(setup__paid=True, setup__price=single, setup__currency="eur")
    (offer,) = packages.set_packages(player, [packages.PackageInput(lessons, 30, price)])
    return player, offer


def bought(fan, offer) -> PackagePurchase:
    payment = packages.start_purchase(fan, offer.id)
    assert pay(payment.checkout_url).status_code == 303
    return wait_for(lambda: _paid(payment.package_purchase_id))


def _paid(purchase_id: int) -> PackagePurchase | None:
    purchase = db.session.get(PackagePurchase, purchase_id)
    return purchase if purchase.status == "paid" else None


def book_with_credit(fan, player, days_ahead: int = 4, hour: int = 10) -> LiveSession:
    start = weekday_at(hour, zone=player.timezone, days_ahead=days_ahead)
    return lifecycle.create_session(fan, player.id, start, 30, use_credit=True)


def states(purchase: PackagePurchase) -> list[str]:
    db.session.rollback()
    return sorted(c.state for c in db.session.get(PackagePurchase, purchase.id).credits)


def notices(fan, kind: str) -> int:
    db.session.rollback()
    return len(
        db.session.scalars(
            select(Notification.id).where(Notification.user_id == fan.id, Notification.kind == kind)
        ).all()
    )


def test_an_offer_shows_its_saving_against_single_lessons(live):
    player, offer = player_with_package(lessons=3, price=6000, single=2500)
    assert (offer.lessons, offer.price_amount, offer.singles_total, offer.saving, offer.saving_percent) == (
        3,
        6000,
        7500,
        1500,
        20,
    )
    assert [o.id for o in packages.offers_of(player.id)] == [offer.id]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (packages.PackageInput(1, 30, 2000), "0.lessons"),
        (packages.PackageInput(11, 30, 2000), "0.lessons"),
        (packages.PackageInput(3, 60, 2000), "0.duration_minutes"),
        (packages.PackageInput(3, 30, 7500), "0.price_amount"),
        (packages.PackageInput(3, 30, 0), "0.price_amount"),
    ],
)
def test_a_package_breaking_a_rule_is_refused_at_its_field_and_nothing_changes(live, item, field):
    player, offer = player_with_package()
    with pytest.raises(InvalidInput) as refused:
        packages.set_packages(player, [item])
    assert field in refused.value.fields
    db.session.rollback()
    assert [o.id for o in packages.offers_of(player.id)] == [offer.id]


def test_the_same_size_twice_and_free_lengths_are_refused(live):
    player, _ = player_with_package()
    with pytest.raises(InvalidInput) as twice:
        packages.set_packages(player, [packages.PackageInput(3, 30, 6000), packages.PackageInput(3, 30, 5000)])
    assert "1.lessons" in twice.value.fields
    free_player = PlayerFactory()
    with pytest.raises(InvalidInput) as free:
        packages.set_packages(free_player, [packages.PackageInput(3, 30, 100)])
    assert "0.duration_minutes" in free.value.fields


def test_buying_is_a_destination_charge_with_the_fee_and_gives_credits_once(live):
    player, offer = player_with_package(lessons=3, price=6000)
    fan = FanFactory()
    purchase = bought(fan, offer)
    split = split_price(6000)
    assert (purchase.price_amount, purchase.platform_fee_amount, purchase.player_share_amount) == (
        6000,
        split.platform_fee,
        split.player_share,
    )
    assert states(purchase) == ["available"] * 3
    purchase = fresh(PackagePurchase, purchase.id)
    assert purchase.valid_until.date() > (purchase.paid_at + timedelta(days=180)).date()
    payment = db.session.scalar(select(Payment).where(Payment.package_purchase_id == purchase.id))
    intent = sandbox_object(live, payment.payment_intent_id)
    assert intent["application_fee_amount"] == split.platform_fee
    assert intent["transfer_data"]["destination"] == f"acct_test{player.id}"
    # Stripe telling it again changes nothing.
    packages.record_paid(
        {
            "id": payment.checkout_session_id,
            "metadata": {"package_purchase_id": str(purchase.id)},
            "payment_intent": "x",
        }
    )
    db.session.commit()
    assert states(purchase) == ["available"] * 3
    assert notices(fan, "package_purchased") == 1


def test_nobody_buys_their_own_package_and_an_unknown_one_is_not_found(live):
    player, offer = player_with_package()
    with pytest.raises(InvalidInput):
        packages.start_purchase(player, offer.id)
    with pytest.raises(NotFound):
        packages.start_purchase(FanFactory(), offer.id + 1000)


def test_a_credit_books_a_confirmed_lesson_that_costs_nothing_more(live):
    player, offer = player_with_package(lessons=2, price=4000)
    fan = FanFactory()
    purchase = bought(fan, offer)
    session = book_with_credit(fan, player)
    assert (session.status, session.price_amount, session.platform_fee_amount) == ("confirmed", 0, 0)
    assert fresh(LiveSession, session.id).package_credit is not None
    assert states(purchase) == ["available", "used"]
    assert credits.usable_count(fan.id, player.id, 30) == 1


def test_without_a_credit_for_that_player_the_booking_is_refused_and_nothing_is_written(live):
    player, offer = player_with_package()
    other_player, _ = player_with_package()
    fan = FanFactory()
    bought(fan, offer)
    with pytest.raises(InvalidInput) as refused:
        book_with_credit(fan, other_player)
    assert refused.value.code == credits.NO_CREDIT
    db.session.rollback()
    assert db.session.scalar(select(LiveSession.id).where(LiveSession.fan_id == fan.id)) is None


def test_cancelling_early_gives_the_credit_back_and_late_uses_it(live):
    player, offer = player_with_package(lessons=3, price=6000)
    fan = FanFactory()
    purchase = bought(fan, offer)
    early = book_with_credit(fan, player, days_ahead=5)
    quote = lifecycle.cancellation_quote(fan, early.id)
    assert (quote.credit, quote.percent, quote.amount) == (True, 100, 0)
    lifecycle.cancel(fan, early.id)
    assert states(purchase) == ["available"] * 3

    late = book_with_credit(fan, player, days_ahead=5, hour=12)
    # Two hours before the start: a paid lesson would not be refunded in full, so the credit is used.
    lifecycle.cancel(fan, late.id, now=late.starts_at - timedelta(hours=2))
    assert states(purchase) == ["available", "available", "used"]


def test_a_player_cancelling_gives_the_credit_back_whenever(live):
    player, offer = player_with_package()
    fan = FanFactory()
    purchase = bought(fan, offer)
    session = book_with_credit(fan, player)
    lifecycle.cancel(player, session.id, now=session.starts_at - timedelta(minutes=30))
    assert states(purchase) == ["available"] * 3


def test_unused_credits_are_refunded_pro_rata_with_the_fee_by_the_one_rule(live):
    player, offer = player_with_package(lessons=3, price=10000, single=4000)
    fan = FanFactory()
    purchase = bought(fan, offer)
    book_with_credit(fan, player)
    refund = packages.refund_unused(fan, purchase.id)
    dispatch_committed()
    refund = wait_for(lambda: (r := fresh(Refund, refund.id)) and r.status == "succeeded" and r)
    # 10,000 × 2 / 3 = 6,666.67, rounded half up; the fee's share of it the same way.
    assert refund.amount == 6667
    fee = purchase.platform_fee_amount
    assert refund.fee_refund_amount == round(fee * 6667 / 10000)
    assert refund.package_purchase_id == purchase.id and refund.session_id is None
    assert states(purchase) == ["refunded", "refunded", "used"]
    provider = sandbox_object(live, refund.provider_refund_id)
    assert provider["amount"] == 6667
    with pytest.raises(WrongState):
        packages.refund_unused(fan, purchase.id)


def test_someone_elses_purchase_is_not_found(live):
    _, offer = player_with_package()
    purchase = bought(FanFactory(), offer)
    with pytest.raises(NotFound):
        packages.refund_unused(FanFactory(), purchase.id)


def test_a_week_before_the_end_one_email_and_at_the_end_the_credits_expire(live):
    player, offer = player_with_package()
    fan = FanFactory()
    purchase = bought(fan, offer)
    valid_until = fresh(PackagePurchase, purchase.id).valid_until
    # Other tests' purchases share this committed database: count this fan's emails only.
    for days_before, emails in ((8, 0), (6, 1), (5, 1)):
        packages.send_expiry_notices(now=valid_until - timedelta(days=days_before))
        assert notices(fan, "package_expiring") == emails
    packages.expire_credits(now=valid_until - timedelta(minutes=1))
    assert states(purchase) == ["available"] * 3
    packages.expire_credits(now=valid_until + timedelta(minutes=1))
    assert states(purchase) == ["expired"] * 3
    with pytest.raises(WrongState):
        packages.refund_unused(fan, purchase.id, now=valid_until + timedelta(minutes=1))


def test_an_unpaid_checkout_that_expires_buys_nothing(live):
    _, offer = player_with_package()
    payment = packages.start_purchase(FanFactory(), offer.id)
    packages.settle_ended(payment.checkout_session_id, "expired")
    db.session.commit()
    purchase = fresh(PackagePurchase, payment.package_purchase_id)
    assert purchase.status == "unpaid" and purchase.credits == []


def test_the_ledger_adds_up_over_single_lessons_packages_credits_and_refunds(live):
    """Every flow at once: what fans paid minus what came back is exactly the player's net plus
    the platform's, on our books and at the sandbox (transfers less their reversals)."""
    player, offer = player_with_package(lessons=3, price=10000, single=4000)
    fan = FanFactory()
    purchase = bought(fan, offer)
    used = book_with_credit(fan, player, days_ahead=4)
    lifecycle.cancel(fan, book_with_credit(fan, player, days_ahead=5).id)  # the credit back
    paid_lesson = lifecycle.create_session(fan, player.id, weekday_at(14, zone=player.timezone, days_ahead=6), 30)
    assert pay(checkout.open_payment(paid_lesson).checkout_url).status_code == 303
    wait_for(lambda: fresh(LiveSession, paid_lesson.id).status == "confirmed")
    lifecycle.cancel(fan, paid_lesson.id)  # in full: more than a day ahead
    packages.refund_unused(fan, purchase.id)
    dispatch_committed()
    wait_for(lambda: all(r.status == "succeeded" for r in db.session.scalars(select(Refund))))

    (mine,) = earnings.player_earnings(player).by_currency()
    (platform,) = [line for line in earnings.platform_revenue(AdminFactory()).by_currency() if line.currency == "eur"]
    assert (mine.payments, mine.package_sales, mine.credits_used) == (2, 1, 1)
    assert mine.gross == 10000 + 4000
    assert mine.refunded == 4000 + 6667
    assert mine.gross - mine.refunded == mine.net + mine.platform_net
    assert used.id == fresh(LiveSession, used.id).package_credit.session_id
    payments = db.session.scalars(select(Payment).where(Payment.status == "paid")).all()
    ours = [p for p in payments if p.package_purchase_id == purchase.id or p.session_id == paid_lesson.id]
    transferred = reversed_ = 0
    for payment in ours:
        intent = sandbox_object(live, payment.payment_intent_id)
        charge = sandbox_object(live, intent["latest_charge"])
        transfer = sandbox_object(live, charge["transfer"])
        transferred += transfer["amount"]
        reversed_ += transfer.get("amount_reversed", 0)
    assert transferred - reversed_ == mine.net
