"""Lesson packages: what players offer, fans buying them through Stripe Checkout, refunds and expiry.

A package is N lessons (2–10) of one of the player's lengths for one total price, below N single
lessons. Buying it is a Checkout like a booking's (a destination charge to the player's connected
account, the platform fee by the one money rule) whose Payment row names the purchase instead of
a session. When Stripe says it is paid, the purchase gets N credits (credits.py), valid for
PACKAGE_VALID_MONTHS. Credits not used can be refunded pro rata while valid: the refund is the
price times unused / N, rounded half up like every sum of money here, and the fee goes back with
it by refunds.fee_share. Credits left at the end expire, after an email a week before.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import select, update

from ...extensions import db
from ...integrations.stripe import gateway
from ...models import (
    CreditState,
    LessonPackage,
    Offering,
    PackageCredit,
    PackagePurchase,
    Payment,
    PaymentStatus,
    Profile,
    PurchaseStatus,
    Refund,
    User,
    utcnow,
)
from ..access import require_player
from ..booking import slot_cache
from ..booking.eligibility import check_booker, check_guardian_allows
from ..errors import InvalidInput, NotFound, ProviderUnavailable, WrongState
from ..notifications import outbox
from ..notifications.links import absolute_url
from . import payouts, refunds
from .money import round_half_up, split_price

log = logging.getLogger(__name__)

MAX_PACKAGES = 6
CHECKOUT_LIFETIME = timedelta(hours=1)
PROVIDER_DOWN = "We could not reach our payment provider. Nothing was charged; please try again in a moment."


# --- What players offer -------------------------------------------------------------------


@dataclass(frozen=True)
class PackageOffer:
    """A package with what the same lessons would cost one by one, for the saving shown beside it.

    Plain values, not rows: profiles cache it (fragment_cache), so it must outlive its session.
    """

    id: int
    lessons: int
    duration_minutes: int
    price_amount: int
    currency: str
    single_price: int

    @property
    def singles_total(self) -> int:
        return self.single_price * self.lessons

    @property
    def saving(self) -> int:
        return self.singles_total - self.price_amount

    @property
    def saving_percent(self) -> int:
        """The saving as a whole percentage of the single lessons' total, rounded half up."""
        return round_half_up(Decimal(self.saving) * 100 / Decimal(self.singles_total))


def offers_of(player_id: int) -> list[PackageOffer]:
    """The player's active packages whose length they still offer for a price, shortest and smallest first."""
    rows = db.session.execute(
        select(LessonPackage, Offering.price_amount)
        .join(
            Offering,
            (Offering.player_id == LessonPackage.player_id)
            & (Offering.duration_minutes == LessonPackage.duration_minutes),
        )
        .where(LessonPackage.player_id == player_id, LessonPackage.active.is_(True), Offering.price_amount > 0)
        .order_by(LessonPackage.duration_minutes, LessonPackage.lessons)
    ).all()
    return [
        PackageOffer(p.id, p.lessons, p.duration_minutes, p.price_amount, p.currency, single)
        for p, single in rows
        # A single price lowered below the package's per-lesson price leaves no saving: not offered.
        if p.price_amount < single * p.lessons
    ]


@dataclass(frozen=True)
class PlayerOffer:
    """What the player's package editor shows: their currency, paid lengths and current packages."""

    currency: str
    paid_lengths: list[int]
    packages: list[PackageOffer]


def player_offer(player: User) -> PlayerOffer:
    require_player(player)
    profile = db.session.get(Profile, player.id)
    lengths = [o.duration_minutes for o in profile.offerings if o.price_amount > 0]
    return PlayerOffer(profile.currency, lengths, offers_of(player.id))


@dataclass(frozen=True)
class PackageInput:
    lessons: int
    duration_minutes: int
    price_amount: int


def set_packages(player: User, items: Sequence[PackageInput]) -> list[PackageOffer]:
    """Replace the player's offer of packages. Packages already bought stay as they were sold."""
    require_player(player)
    profile = db.session.get(Profile, player.id)
    singles = {o.duration_minutes: o.price_amount for o in profile.offerings}
    _check_packages(items, singles)
    current = db.session.scalars(
        select(LessonPackage).where(LessonPackage.player_id == player.id, LessonPackage.active.is_(True))
    ).all()
    wanted = {(i.lessons, i.duration_minutes, i.price_amount) for i in items}
    kept = set()
    for package in current:
        key = (package.lessons, package.duration_minutes, package.price_amount)
        if key in wanted and package.currency == profile.currency:
            kept.add(key)
        else:
            package.active = False
    for lessons, duration, price in sorted(wanted - kept):
        db.session.add(
            LessonPackage(
                player_id=player.id,
                lessons=lessons,
                duration_minutes=duration,
                price_amount=price,
                currency=profile.currency,
            )
        )
    slot_cache.touch([player.id])  # profiles show the packages
    db.session.commit()
    return offers_of(player.id)


def _check_packages(items: Sequence[PackageInput], singles: dict[int, int]) -> None:
    """Every refusal names the package by its place in the list (`0.price_amount`)."""
    fields: dict[str, str] = {}
    if len(items) > MAX_PACKAGES:
        fields["packages"] = f"Offer at most {MAX_PACKAGES} packages."
    seen: set[tuple[int, int]] = set()
    for index, item in enumerate(items):
        single = singles.get(item.duration_minutes)
        if not 2 <= item.lessons <= 10:
            fields[f"{index}.lessons"] = "A package holds 2 to 10 lessons."
        if single is None:
            fields[f"{index}.duration_minutes"] = "Choose one of the lengths you offer."
        elif single <= 0:
            fields[f"{index}.duration_minutes"] = "Packages are for lengths that have a price."
        elif not 0 < item.price_amount < single * item.lessons:
            fields[f"{index}.price_amount"] = (
                "The package must cost more than nothing and less than its single lessons."
            )
        if (item.lessons, item.duration_minutes) in seen:
            fields[f"{index}.lessons"] = "You already offer a package of this size and length."
        seen.add((item.lessons, item.duration_minutes))
    if fields:
        raise InvalidInput(fields, "Some packages need attention.")


# --- Buying one ---------------------------------------------------------------------------


def start_purchase(fan: User, package_id: int, *, now: datetime | None = None) -> Payment:
    """Open a Checkout for the package; the credits come when Stripe says it is paid."""
    now = now or utcnow()
    package = db.session.get(LessonPackage, package_id)
    offer = next((o for o in offers_of(package.player_id) if o.id == package_id), None) if package else None
    if offer is None:
        raise NotFound("No such package.")
    check_booker(fan, package.player_id)
    check_guardian_allows(fan, package.price_amount)  # a young fan's guardian decides on paid lessons
    profile = db.session.get(Profile, package.player_id)
    if not payouts.can_take_charges(profile):
        raise WrongState(
            "This player cannot take payments right now; please try again later.", code="payments_unavailable"
        )
    split = split_price(package.price_amount)
    purchase = PackagePurchase(
        package_id=package.id,
        fan_id=fan.id,
        player_id=package.player_id,
        lessons=package.lessons,
        duration_minutes=package.duration_minutes,
        price_amount=split.price,
        currency=package.currency,
        platform_fee_amount=split.platform_fee,
        player_share_amount=split.player_share,
    )
    db.session.add(purchase)
    db.session.flush()
    payment = Payment(
        package_purchase_id=purchase.id,
        amount=split.price,
        currency=package.currency,
        application_fee_amount=split.platform_fee,
        destination_account_id=payouts.destination_account(package.player_id),
        status=PaymentStatus.OPEN,
        idempotency_key=f"package-{purchase.id}-{secrets.token_hex(8)}",
        expires_at=(now + CHECKOUT_LIFETIME).replace(microsecond=0),
    )
    db.session.add(payment)
    db.session.commit()  # the key is saved before the call; a retry sends the same request
    try:
        checkout = gateway.create_checkout_session(
            amount=payment.amount,
            currency=payment.currency,
            product_name=f"{package.lessons} lessons of {package.duration_minutes} minutes with "
            f"{package.player.display_name}",
            description=f"Lesson credits valid for {current_app.config['PACKAGE_VALID_MONTHS']} months",
            success_url=absolute_url("packages.purchase_return", purchase_id=purchase.id)
            + "?checkout_session_id={CHECKOUT_SESSION_ID}",
            cancel_url=absolute_url("packages.purchase_return", purchase_id=purchase.id),
            reference=f"package-{purchase.id}",
            customer_email=fan.email,
            metadata={"package_purchase_id": str(purchase.id), "payment_id": str(payment.id)},
            expires_at=payment.expires_at,
            application_fee_amount=payment.application_fee_amount,
            destination=payment.destination_account_id,
            idempotency_key=payment.idempotency_key,
        )
    except gateway.GatewayError as exc:
        log.warning("opening checkout for package purchase %s failed: %s", purchase.id, exc.message)
        payment.status = PaymentStatus.FAILED
        purchase.status = PurchaseStatus.UNPAID.value
        db.session.commit()
        raise ProviderUnavailable(PROVIDER_DOWN) from exc
    payment.checkout_session_id = checkout["id"]
    payment.checkout_url = checkout["url"]
    db.session.commit()
    return payment


def purchase_id_of(checkout: dict) -> int | None:
    """The package purchase a Checkout Session pays for, if it is one."""
    raw = (checkout.get("metadata") or {}).get("package_purchase_id")
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def apply_checkout(checkout: dict) -> None:
    """A package's Checkout as Stripe has it now: paid gives the credits, expired ends the purchase."""
    if checkout["status"] == "complete" and checkout["payment_status"] == "paid":
        record_paid(checkout)
    elif checkout["status"] == "expired":
        settle_ended(checkout["id"], PaymentStatus.EXPIRED)


def record_paid(checkout: dict) -> PackagePurchase | None:
    """Stripe says the package is paid: its credits, once, however often this is told."""
    purchase = db.session.get(PackagePurchase, purchase_id_of(checkout), with_for_update=True)
    payment = db.session.scalar(select(Payment).where(Payment.checkout_session_id == checkout["id"]).with_for_update())
    if purchase is None or payment is None or payment.package_purchase_id != purchase.id:
        log.warning("paid checkout %s names no package purchase of ours", checkout["id"])
        return None
    if payment.status == PaymentStatus.PAID:
        return purchase
    now = utcnow()
    payment.status = PaymentStatus.PAID
    payment.payment_intent_id = checkout["payment_intent"]
    payment.paid_at = now
    purchase.status = PurchaseStatus.PAID.value
    purchase.paid_at = now
    purchase.valid_until = now + relativedelta(months=current_app.config["PACKAGE_VALID_MONTHS"])
    db.session.add_all(PackageCredit(purchase_id=purchase.id) for _ in range(purchase.lessons))
    outbox.queue(purchase.fan_id, "package_purchased", payload={"purchase_id": purchase.id})
    return purchase


def settle_ended(checkout_id: str, status: PaymentStatus) -> None:
    """A package's Checkout ended unpaid: nothing was bought."""
    payment = db.session.scalar(select(Payment).where(Payment.checkout_session_id == checkout_id).with_for_update())
    if payment is None or payment.status == PaymentStatus.PAID:
        return
    payment.status = status
    purchase = db.session.get(PackagePurchase, payment.package_purchase_id)
    if purchase.status == PurchaseStatus.PENDING.value:
        purchase.status = PurchaseStatus.UNPAID.value


def purchase_for(viewer: User, purchase_id: int) -> PackagePurchase:
    """The fan's own purchase (admins may look too); 404 for anyone else, so ids reveal nothing."""
    purchase = db.session.get(PackagePurchase, purchase_id)
    if purchase is None or (purchase.fan_id != viewer.id and not viewer.is_admin):
        raise NotFound("No such purchase.")
    return purchase


def paid_payment_of(purchase: PackagePurchase) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(Payment.package_purchase_id == purchase.id, Payment.status == PaymentStatus.PAID)
    )


# --- Refunding unused credits -------------------------------------------------------------


def refund_quote(purchase: PackagePurchase, unused: int) -> int:
    """What `unused` of the purchase's lessons give back: price × unused / lessons, rounded half up."""
    return round_half_up(Decimal(purchase.price_amount) * unused / purchase.lessons)


def refund_unused(fan: User, purchase_id: int, *, now: datetime | None = None) -> Refund:
    """Give back the unused credits as money, pro rata, while the purchase is valid."""
    now = now or utcnow()
    purchase = db.session.get(PackagePurchase, purchase_id, with_for_update=True)
    if purchase is None or purchase.fan_id != fan.id:
        raise NotFound("No such purchase.")
    if purchase.status != PurchaseStatus.PAID.value or purchase.valid_until <= now:
        raise WrongState("Only the credits of a package that is still valid can be refunded.")
    unused = db.session.scalars(
        select(PackageCredit)
        .where(PackageCredit.purchase_id == purchase.id, PackageCredit.state == CreditState.AVAILABLE.value)
        .with_for_update()
    ).all()
    if not unused:
        raise WrongState("Every credit of this package is used or given back already.", code="no_credit")
    refunded_before = len([c for c in purchase.credits if c.state == CreditState.REFUNDED.value])
    # Computed on the running count, so refunds in parts add up to exactly the price for all lessons.
    amount = refund_quote(purchase, refunded_before + len(unused)) - refund_quote(purchase, refunded_before)
    payment = paid_payment_of(purchase)
    if payment is None:
        raise WrongState("This package's payment cannot be found; our team can refund it.")
    refund = refunds.refund_package(payment, amount, f"package-refund-{purchase.id}-{refunded_before}-{len(unused)}")
    for credit in unused:
        credit.state = CreditState.REFUNDED.value
    db.session.commit()
    return refund


# --- Expiry -------------------------------------------------------------------------------


def send_expiry_notices(now: datetime | None = None) -> int:
    """Periodic: one email per purchase with credits left, a week before they expire."""
    now = now or utcnow()
    ahead = now + timedelta(days=current_app.config["PACKAGE_EXPIRY_NOTICE_DAYS"])
    purchases = db.session.scalars(
        select(PackagePurchase)
        .where(
            PackagePurchase.status == PurchaseStatus.PAID.value,
            PackagePurchase.valid_until > now,
            PackagePurchase.valid_until <= ahead,
            PackagePurchase.credits.any(PackageCredit.state == CreditState.AVAILABLE.value),
        )
        .limit(500)
    ).all()
    sent = 0
    for purchase in purchases:
        row = outbox.queue(
            purchase.fan_id,
            "package_expiring",
            payload={"purchase_id": purchase.id},
            dedupe_key=f"package_expiring:{purchase.id}",
        )
        sent += row is not None
    db.session.commit()
    return sent


def expire_credits(now: datetime | None = None) -> int:
    """Periodic: credits still unused when their purchase's validity ends are expired."""
    now = now or utcnow()
    ended = select(PackagePurchase.id).where(
        PackagePurchase.status == PurchaseStatus.PAID.value, PackagePurchase.valid_until <= now
    )
    result = db.session.execute(
        update(PackageCredit)
        .where(PackageCredit.state == CreditState.AVAILABLE.value, PackageCredit.purchase_id.in_(ended))
        .values(state=CreditState.EXPIRED.value)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0
