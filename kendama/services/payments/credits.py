"""Lesson credits: taken by a booking with a player, given back when its cancellation would refund.

A credit is one lesson of a paid package purchase, for one player and one length, usable until
the purchase's `valid_until`. A booking made with a credit is confirmed at once and costs nothing
more (the package paid for it); the credit is `used` from then, by that session only (the
`session_id` column is unique). When the policy would have refunded a paid lesson fully (the
player or an admin cancels, the fan cancels early enough, a player no-show is refunded), the
credit comes back, unless its validity has ended meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ...extensions import db
from ...models import CreditState, LiveSession, PackageCredit, PackagePurchase, PurchaseStatus, User, utcnow
from ..errors import InvalidInput

NO_CREDIT = "no_credit"


def _usable(fan_id: int, player_id: int, duration_minutes: int, now: datetime):
    return (
        select(PackageCredit)
        .join(PackagePurchase, PackagePurchase.id == PackageCredit.purchase_id)
        .where(
            PackagePurchase.fan_id == fan_id,
            PackagePurchase.player_id == player_id,
            PackagePurchase.duration_minutes == duration_minutes,
            PackagePurchase.status == PurchaseStatus.PAID.value,
            PackagePurchase.valid_until > now,
            PackageCredit.state == CreditState.AVAILABLE.value,
        )
    )


def usable_count(fan_id: int, player_id: int, duration_minutes: int, now: datetime | None = None) -> int:
    """How many credits the fan could book this length with this player with now."""
    query = _usable(fan_id, player_id, duration_minutes, now or utcnow()).with_only_columns(func.count())
    return db.session.scalar(query) or 0


def claim(fan_id: int, player_id: int, duration_minutes: int, now: datetime) -> PackageCredit:
    """Lock the credit a booking will use: the one whose validity ends first. 422 when there is none."""
    credit = db.session.scalar(
        _usable(fan_id, player_id, duration_minutes, now)
        .order_by(PackagePurchase.valid_until, PackageCredit.id)
        .limit(1)
        .with_for_update()
    )
    if credit is None:
        message = f"You have no {duration_minutes}-minute lesson credit with this player."
        raise InvalidInput({"use_credit": message}, message, code=NO_CREDIT)
    return credit


def spend(credit: PackageCredit, session: LiveSession, now: datetime) -> None:
    """The booking is confirmed with this credit."""
    credit.state = CreditState.USED.value
    credit.session_id = session.id
    credit.used_at = now


def credit_of(session_id: int) -> PackageCredit | None:
    return db.session.scalar(select(PackageCredit).where(PackageCredit.session_id == session_id))


def give_back(session: LiveSession, now: datetime | None = None) -> PackageCredit | None:
    """Return the session's credit to the fan (expired instead, when its validity is over)."""
    credit = db.session.scalar(select(PackageCredit).where(PackageCredit.session_id == session.id).with_for_update())
    if credit is None:
        return None
    still_valid = credit.purchase.valid_until > (now or utcnow())
    credit.state = (CreditState.AVAILABLE if still_valid else CreditState.EXPIRED).value
    credit.session_id = None
    credit.used_at = None
    return credit


@dataclass(frozen=True)
class Balance:
    """A fan's credits from one purchase, for the dashboard and GET /api/users/me/credits."""

    purchase: PackagePurchase
    available: int
    used: int
    refunded: int
    expired: int

    @property
    def refundable(self) -> bool:
        return self.available > 0 and self.purchase.valid_until > utcnow()


def balances(fan: User) -> list[Balance]:
    """Every paid purchase of the fan's, newest first, with its credits counted by state."""
    purchases = db.session.scalars(
        select(PackagePurchase)
        .where(PackagePurchase.fan_id == fan.id, PackagePurchase.status == PurchaseStatus.PAID.value)
        .order_by(PackagePurchase.paid_at.desc())
    ).all()
    return [balance_of(purchase) for purchase in purchases]


def balance_of(purchase: PackagePurchase) -> Balance:
    counts = {state: 0 for state in CreditState}
    for credit in purchase.credits:
        counts[CreditState(credit.state)] += 1
    return Balance(
        purchase,
        available=counts[CreditState.AVAILABLE],
        used=counts[CreditState.USED],
        refunded=counts[CreditState.REFUNDED],
        expired=counts[CreditState.EXPIRED],
    )
