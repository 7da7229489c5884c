"""Earnings by month: what players made and what the platform kept, from payments and refunds.

A payment counts in the month it was paid; a refund in the month it succeeded. Months are
calendar months on the viewer's wall clock (the player's zone for a player). A refund takes the
refunded amount off the gross and gives back its share of the fee, so for the player
`net = gross - fee - (refunded - fee_refunded)` and for the platform `fee - fee_refunded`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ...extensions import db
from ...models import LiveSession, Payment, PaymentStatus, Refund, RefundStatus, User
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
        return sorted(sums.values(), key=lambda line: line.currency)


def player_earnings(player: User) -> Totals:
    """The player's own earnings, newest month first, in their time zone."""
    require_player(player)
    return _totals(player.timezone or "UTC", LiveSession.player_id == player.id)


def platform_revenue(admin: User, zone_name: str = "UTC") -> Totals:
    """Every payment on the platform, for admins."""
    require_admin(admin)
    return _totals(zone_name, None)


def _totals(zone_name: str, where) -> Totals:
    lines: dict[tuple[date, str], MonthLine] = {}

    def line(moment, currency: str) -> MonthLine:
        local = in_zone(moment, zone_name)
        month = date(local.year, local.month, 1)
        return lines.setdefault((month, currency), MonthLine(month=month, currency=currency))

    paid = (
        select(Payment.paid_at, Payment.currency, Payment.amount, Payment.application_fee_amount)
        .join(LiveSession, LiveSession.id == Payment.session_id)
        .where(Payment.status == PaymentStatus.PAID)
    )
    refunded = (
        select(Refund.completed_at, Refund.currency, Refund.amount, Refund.fee_refund_amount)
        .join(LiveSession, LiveSession.id == Refund.session_id)
        .where(Refund.status == RefundStatus.SUCCEEDED)
    )
    if where is not None:
        paid, refunded = paid.where(where), refunded.where(where)
    for paid_at, currency, amount, fee in db.session.execute(paid):
        month = line(paid_at, currency)
        month.payments += 1
        month.gross += amount
        month.fee += fee
    for completed_at, currency, amount, fee_back in db.session.execute(refunded):
        month = line(completed_at, currency)
        month.refunded += amount
        month.fee_refunded += fee_back
    ordered = sorted(lines.values(), key=lambda m: (m.month, m.currency), reverse=True)
    return Totals(ordered)
