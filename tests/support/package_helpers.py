"""A paid lesson package purchase with its credits, as the Checkout's webhook leaves it."""

from __future__ import annotations

from datetime import timedelta

from kendama.extensions import db
from kendama.models import LessonPackage, PackageCredit, PackagePurchase, Payment, utcnow
from kendama.services.payments.money import split_price


def paid_purchase(
    fan, player, *, lessons: int = 3, price: int = 6000, currency: str = "usd", valid_days: int = 180
) -> PackagePurchase:
    """`lessons` credits of 30 minutes with `player`, paid (a Payment row without a Stripe intent)."""
    package = LessonPackage(
        player_id=player.id, lessons=lessons, duration_minutes=30, price_amount=price, currency=currency
    )
    db.session.add(package)
    db.session.flush()
    split = split_price(price)
    purchase = PackagePurchase(
        package_id=package.id,
        fan_id=fan.id,
        player_id=player.id,
        lessons=lessons,
        duration_minutes=30,
        price_amount=price,
        currency=currency,
        platform_fee_amount=split.platform_fee,
        player_share_amount=split.player_share,
        status="paid",
        paid_at=utcnow(),
        valid_until=utcnow() + timedelta(days=valid_days),
        credits=[PackageCredit() for _ in range(lessons)],
    )
    db.session.add(purchase)
    db.session.flush()
    db.session.add(
        Payment(
            package_purchase_id=purchase.id,
            amount=price,
            currency=currency,
            application_fee_amount=split.platform_fee,
            status="paid",
            paid_at=purchase.paid_at,
            idempotency_key=f"test-package-{purchase.id}",
        )
    )
    db.session.flush()
    return purchase
