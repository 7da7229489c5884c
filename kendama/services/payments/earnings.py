"""Earnings by month: what players made and what the platform kept, from payments and refunds.

A payment counts in the month it was paid; a refund in the month it succeeded. A lesson package
is one payment (counted among `package_sales` too), and its pro-rata refunds are refunds; the
lessons booked with its credits bring no money of their own and are counted as `credits_used` in
the month the booking took the credit. Months are
calendar months on the viewer's wall clock (the player's zone for a player). A refund takes the
refunded amount off the gross and gives back its share of the fee, so for the player
`net = gross - fee - (refunded - fee_refunded)` and for the platform `fee - fee_refunded`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select

from ...extensions import db
from ...models import (
    CreditState,
    LiveSession,
    PackageCredit,
    PackagePurchase,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    User,
)
from ..access import require_admin, require_player
from ..timezones import in_zone


@dataclass
class MonthLine:
    month: date  # the first day of the month
    currency: str
    payments: int = 0
    gross: int = 0
    fee: int = 0
    refunded: int = 0
    fee_refunded: int = 0
    package_sales: int = 0
    credits_used: int = 0

    @property
    def net(self) -> int:
        """The player's share after refunds."""
        return self.gross - self.fee - (self.refunded - self.fee_refunded)

    @property
    def platform_net(self) -> int:
        """The platform's fee income after the fee it gave back with refunds."""
        return self.fee - self.fee_refunded


@dataclass
class Totals:
    lines: list[MonthLine] = field(default_factory=list)

    def by_currency(self) -> list[MonthLine]:
        """All months added up, one line per currency."""
        sums: dict[str, MonthLine] = {}
        for line in self.lines:
            total = sums.setdefault(line.currency, MonthLine(month=line.month, currency=line.currency))
            total.payments += line.payments
            total.gross += line.gross
            total.fee += line.fee
            total.refunded += line.refunded
            total.fee_refunded += line.fee_refunded
            total.package_sales += line.package_sales
            total.credits_used += line.credits_used
        return sorted(sums.values(), key=lambda line: line.currency)


def player_earnings(player: User) -> Totals:
    """The player's own earnings, newest month first, in their time zone."""
    require_player(player)
    return _totals(player.timezone or "UTC", player.id)


def platform_revenue(admin: User, zone_name: str = "UTC") -> Totals:
    """Every payment on the platform, for admins."""
    require_admin(admin)
    return _totals(zone_name, None)


def _totals(zone_name: str, player_id: int | None) -> Totals:
    lines: dict[tuple[date, str], MonthLine] = {}

    def line(moment, currency: str) -> MonthLine:
        local = in_zone(moment, zone_name)
        month = date(local.year, local.month, 1)
        return lines.setdefault((month, currency), MonthLine(month=month, currency=currency))

    for paid_at, currency, amount, fee, purchase_id in db.session.execute(_of_player(_PAID, Payment, player_id)):
        month = line(paid_at, currency)
        month.payments += 1
        month.package_sales += purchase_id is not None
        month.gross += amount
        month.fee += fee
    for completed_at, currency, amount, fee_back, _ in db.session.execute(_of_player(_REFUNDED, Refund, player_id)):
        month = line(completed_at, currency)
        month.refunded += amount
        month.fee_refunded += fee_back
    for used_at, currency in db.session.execute(_credits_used(player_id)):
        line(used_at, currency).credits_used += 1
    ordered = sorted(lines.values(), key=lambda m: (m.month, m.currency), reverse=True)
    return Totals(ordered)


_PAID = select(
    Payment.paid_at, Payment.currency, Payment.amount, Payment.application_fee_amount, Payment.package_purchase_id
).where(Payment.status == PaymentStatus.PAID)
_REFUNDED = select(
    Refund.completed_at, Refund.currency, Refund.amount, Refund.fee_refund_amount, Refund.package_purchase_id
).where(Refund.status == RefundStatus.SUCCEEDED)


def _of_player(query, model, player_id: int | None):
    """Payments or refunds of one player's sessions and packages (everyone's for None)."""
    if player_id is None:
        return query
    sessions = select(LiveSession.id).where(LiveSession.player_id == player_id)
    purchases = select(PackagePurchase.id).where(PackagePurchase.player_id == player_id)
    return query.where(or_(model.session_id.in_(sessions), model.package_purchase_id.in_(purchases)))


def _credits_used(player_id: int | None):
    query = (
        select(PackageCredit.used_at, PackagePurchase.currency)
        .join(PackagePurchase, PackagePurchase.id == PackageCredit.purchase_id)
        .where(PackageCredit.state == CreditState.USED.value)
    )
    return query if player_id is None else query.where(PackagePurchase.player_id == player_id)
