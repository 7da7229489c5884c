"""The cancellation and reschedule policy: the one written rule, with its numbers from config.

- A fan who cancels at least POLICY_FULL_REFUND_HOURS before the start gets everything back.
- A fan who cancels later, but at least POLICY_PARTIAL_REFUND_HOURS before the start, gets
  POLICY_PARTIAL_REFUND_PERCENT % back; closer to the start, nothing.
- When the player (or an administrator) cancels, the fan always gets a full refund.
- A session can be rescheduled at most POLICY_MAX_RESCHEDULES times, by the fan or the player,
  and only at least POLICY_RESCHEDULE_HOURS before its start.
- A fan who does not come gets nothing back. A player who does not come, reported by the fan
  from NO_SHOW_REPORT_AFTER_MINUTES after the start, owes a full refund unless they dispute it
  within NO_SHOW_DISPUTE_HOURS; then an administrator decides (services/booking/no_shows.py).

Hours are elapsed time measured to the session's start instant, so across a DST change "24
hours before" is not the same wall-clock time on the day before. "At least" is inclusive: exactly
24 hours before still gets the full refund; one second less does not. The refund is a percentage
of what was paid, rounded by the one money rule (kendama/services/payments/money.py). The policy page
(templates/discovery/policy.html) is rendered from `current()`, so it states these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from ...models import LiveSession
from ..errors import PolicyViolation
from ..payments.money import percent_of
from ..wording import plural

FAN = "fan"
PLAYER = "player"
ADMIN = "admin"
SYSTEM = "system"  # the platform itself: an unpaid hold that ran out, a payment that came too late
GUARDIAN = "guardian"  # a young fan's guardian (no account) cancelling for the fan, under the fan's policy


@dataclass(frozen=True)
class Policy:
    full_refund_hours: int
    partial_refund_hours: int
    partial_refund_percent: int
    reschedule_hours: int
    max_reschedules: int
    no_show_report_minutes: int
    no_show_dispute_hours: int


@dataclass(frozen=True)
class RefundQuote:
    """What a cancellation at a given moment gives back."""

    percent: int
    amount: int
    currency: str
    reason: str  # a sentence for people, shown before they confirm
    credit: bool = False  # booked with a package credit: `percent` 100 gives the credit back


def current() -> Policy:
    """The policy's numbers from the app's configuration."""
    config = current_app.config
    return Policy(
        full_refund_hours=int(config["POLICY_FULL_REFUND_HOURS"]),
        partial_refund_hours=int(config["POLICY_PARTIAL_REFUND_HOURS"]),
        partial_refund_percent=int(config["POLICY_PARTIAL_REFUND_PERCENT"]),
        reschedule_hours=int(config["POLICY_RESCHEDULE_HOURS"]),
        max_reschedules=int(config["POLICY_MAX_RESCHEDULES"]),
        no_show_report_minutes=int(config["NO_SHOW_REPORT_AFTER_MINUTES"]),
        no_show_dispute_hours=int(config["NO_SHOW_DISPUTE_HOURS"]),
    )


def refund_percent(starts_at: datetime, cancelled_by: str, now: datetime) -> tuple[int, str]:
    """The percentage of the paid amount refunded, and why."""
    rules = current()
    if cancelled_by in (PLAYER, ADMIN):
        return 100, "The session was cancelled on the fan's behalf, so the fan gets a full refund."
    notice = starts_at - now
    if notice >= timedelta(hours=rules.full_refund_hours):
        return 100, f"Cancelled at least {plural(rules.full_refund_hours, 'hour')} before the start: full refund."
    if notice >= timedelta(hours=rules.partial_refund_hours):
        return (
            rules.partial_refund_percent,
            f"Cancelled less than {plural(rules.full_refund_hours, 'hour')} before the start: "
            f"{rules.partial_refund_percent} % refund.",
        )
    return 0, f"Cancelled less than {plural(rules.partial_refund_hours, 'hour')} before the start: no refund."


def refund_quote(paid_amount: int, currency: str, starts_at: datetime, cancelled_by: str, now: datetime) -> RefundQuote:
    """What cancelling now gives back of `paid_amount` (0 when nothing was paid)."""
    percent, reason = refund_percent(starts_at, cancelled_by, now)
    if paid_amount <= 0:
        return RefundQuote(percent, 0, currency, "Nothing was paid, so there is nothing to refund.")
    return RefundQuote(percent, percent_of(paid_amount, percent), currency, reason)


def credit_quote(currency: str, starts_at: datetime, cancelled_by: str, now: datetime) -> RefundQuote:
    """What cancelling a lesson booked with a package credit gives back: the credit, when the
    policy would have refunded a paid lesson fully, and otherwise nothing (the credit is used)."""
    percent, reason = refund_percent(starts_at, cancelled_by, now)
    if percent == 100:
        return RefundQuote(100, 0, currency, "Booked with a lesson credit: the credit comes back to you.", credit=True)
    reason = "Booked with a lesson credit, and too close to the start for it to come back: it is used."
    return RefundQuote(percent, 0, currency, reason, credit=True)


def reschedule_refusal(session: LiveSession, now: datetime) -> str | None:
    """Why this session may not be rescheduled now, or None when it may."""
    rules = current()
    if session.reschedule_count >= rules.max_reschedules:
        return f"A session can be rescheduled at most {plural(rules.max_reschedules, 'time')}."
    if session.starts_at - now < timedelta(hours=rules.reschedule_hours):
        return f"Sessions can only be rescheduled at least {plural(rules.reschedule_hours, 'hour')} before the start."
    return None


def check_reschedule(session: LiveSession, now: datetime) -> None:
    """Raise PolicyViolation (409) when the policy does not allow rescheduling now."""
    refusal = reschedule_refusal(session, now)
    if refusal is not None:
        raise PolicyViolation(refusal)
