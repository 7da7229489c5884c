"""Emails to a young fan's guardian: the request to confirm, and copies of bookings and cancellations.

A guardian has no account, so these rows name the fan (outbox rows are per user: the fan's
account being closed stops them too) and are addressed here, when composed, to the fan's
guardian as the consent row has it then. Copies go only to a guardian who confirmed.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from ...integrations.mail import mailbox
from ...models import LiveSession, Notification, SessionStatus, User, utcnow
from ..accounts import guardians
from ..booking import lifecycle, policy
from ..payments.money import format_money
from . import links

REQUEST = "guardian_request"
CONFIRMED = "guardian_booking_confirmed"
CANCELLED = "guardian_cancelled"
SESSION_KINDS = {CONFIRMED, CANCELLED}
KINDS = {REQUEST, *SESSION_KINDS}


def needless(notification: Notification, fan: User, session: LiveSession | None) -> str | None:
    """Why this guardian email is not sent (the reason kept on the row), or None."""
    consent = guardians.consent_of(fan.id)
    if consent is None:
        return "The fan has no guardian now."
    if notification.kind == REQUEST:
        return None if guardians.needs_guardian(fan) else "The fan no longer needs a guardian's consent."
    if not consent.approved:
        return "The guardian has not confirmed, so gets no copies."
    if notification.kind == CONFIRMED and session.status == SessionStatus.CANCELLED:
        return "The session was cancelled since; the guardian's copy of the cancellation says so."
    return None


def recipient(notification: Notification, fan: User) -> str | None:
    """The guardian's address for a guardian email; None for every other kind (it goes to its user)."""
    if notification.kind not in KINDS:
        return None
    return mailbox(f"Guardian of {fan.display_name}", guardians.consent_of(fan.id).guardian_email)


def _common(fan: User) -> dict[str, Any]:
    consent = guardians.consent_of(fan.id)
    return {
        "fan": fan,
        "consent_url": links.absolute_url("guardians.consent", token=guardians.consent_token(consent)),
        "valid_days": current_app.config["GUARDIAN_LINK_SECONDS"] // 86400,
        "guardian_age": current_app.config["GUARDIAN_AGE"],
    }


def _request(notification: Notification, fan: User, session: LiveSession | None) -> dict[str, Any]:
    return _common(fan)


def _confirmed(notification: Notification, fan: User, session: LiveSession | None) -> dict[str, Any]:
    # The cancel link only while the fan could still cancel (checked again when it is used).
    cancellable = lifecycle.cancel_refusal(session, policy.FAN, utcnow()) is None
    token = guardians.cancel_token(guardians.consent_of(fan.id), session.id)
    url = links.absolute_url("guardians.cancel_session", token=token) if cancellable else None
    return {**_common(fan), "player": session.player, "guardian_cancel_url": url}


def _cancelled(notification: Notification, fan: User, session: LiveSession | None) -> dict[str, Any]:
    payload = notification.payload or {}
    refund = int(payload.get("refund_amount") or 0)
    if session.price_amount == 0:
        refund_sentence = "The lesson cost nothing, so there is nothing to refund."
    elif refund > 0:
        refund_sentence = f"{fan.display_name} gets a refund of {format_money(refund, session.currency)}."
    else:
        refund_sentence = "Under the cancellation policy this cancellation gets no refund."
    return {
        **_common(fan),
        "player": session.player,
        "cancel_sentence": _who_cancelled(session, fan),
        "refund_sentence": refund_sentence,
    }


def _who_cancelled(session: LiveSession, fan: User) -> str:
    by = session.cancelled_by_role
    if by == policy.GUARDIAN:
        return "You cancelled the session."
    if by == policy.SYSTEM:
        return "The booking was cancelled because it was not paid in time."
    if by == policy.ADMIN:
        return "The Kendama Live team cancelled the session."
    return f"{(session.player if by == policy.PLAYER else fan).display_name} cancelled the session."


CONTEXTS = {REQUEST: _request, CONFIRMED: _confirmed, CANCELLED: _cancelled}
