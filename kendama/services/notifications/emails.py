"""Composing the email for an outbox row: templates, the recipient's time zone, links, .ics.

Each kind has an HTML template and a plain-text twin in templates/email/. Everything is read
fresh when the email is built, so a message that waited in the outbox describes the session as
it is now, and one that no longer applies (a reminder for a moved session, a confirmation
overtaken by a cancellation) is skipped rather than sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import select

from ...extensions import db
from ...integrations.mail import AddressedMessage, mailbox
from ...models import (
    CoachNote,
    LiveSession,
    Notification,
    PackagePurchase,
    Payment,
    PaymentStatus,
    SessionStatus,
    User,
    WaitlistEntry,
    WaitlistState,
    utcnow,
)
from ..accounts import accounts
from ..booking import lifecycle, no_shows
from ..booking.policy import GUARDIAN, SYSTEM
from ..calendars import ics
from ..calendars import links as calendar_links
from ..coaching.chapters import at_label
from ..feedback import FEEDBACK_STATUSES, has_left_feedback
from ..payments import credits
from ..payments.money import format_money
from . import guardian_copies, links
from .outbox import OPTIONAL_KINDS, REMINDER_OFFSETS, scheduled_times


class PermanentFailure(Exception):
    """Retrying cannot help (an unknown kind, a row without the session it needs)."""


@dataclass(frozen=True)
class Skip:
    """The email is not sent, for this reason (kept on the row)."""

    reason: str


# Kinds whose email carries an invitation, and its iTIP method.
ICS_METHODS = {"booking_confirmed": "REQUEST", "rescheduled": "REQUEST", "cancelled": "CANCEL"}
# A full refund of a payment that could not buy the booking (payments.py), by reason.
REFUND_KINDS = {
    "payment_refunded_duplicate": "duplicate",
    "payment_refunded_slot_taken": "slot_taken",
    "payment_refunded_unavailable": "unavailable",
}
SESSION_KINDS = {
    "booking_confirmed",
    "hold_expired",
    *REFUND_KINDS,
    "awaiting_payment",
    "payment_received",
    "rescheduled",
    "cancelled",
    "reminder_24h",
    "reminder_1h",
    "recording_ready",
    "coach_notes_published",
    "feedback_request",
    "no_show_reported",
    "no_show_resolved",
    *guardian_copies.SESSION_KINDS,
}
ACCOUNT_KINDS = {
    "password_reset",
    "confirm_email",
    "registration_attempt",
    "player_verified",
    "payouts_restricted",
    "waitlist_offer",
    guardian_copies.REQUEST,
    "package_purchased",
    "package_expiring",
}
KINDS = SESSION_KINDS | ACCOUNT_KINDS


def message_id(notification: Notification) -> str:
    """The same Message-ID on every attempt, so a re-send after a crash can be recognised."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"<notification-{notification.id}.{notification.created_at:%Y%m%d%H%M%S}@{host}>"


def compose(notification: Notification) -> AddressedMessage | Skip:
    """The Message to send for this row, or why it is skipped."""
    if notification.kind not in KINDS:
        raise PermanentFailure(f"No email is defined for the kind {notification.kind!r}.")
    user = db.session.get(User, notification.user_id)
    if user is None or not user.is_active_account:
        return Skip("The account is closed.")
    preference = OPTIONAL_KINDS.get(notification.kind)
    if preference and not getattr(user, preference):
        return Skip(f"The recipient turned these emails off ({preference}).")
    session = db.session.get(LiveSession, notification.session_id) if notification.session_id else None
    if notification.kind in SESSION_KINDS and session is None:
        raise PermanentFailure("This email is about a session, and the row names none.")
    if session is not None and (reason := _no_longer_applies(notification, session)):
        return Skip(reason)
    if notification.kind in guardian_copies.KINDS and (reason := guardian_copies.needless(notification, user, session)):
        return Skip(reason)
    if notification.kind == "password_reset" and _reset_request_expired(notification):
        return Skip("The reset request is older than a reset link lives; the user can ask again.")
    if notification.kind == "confirm_email" and (reason := _confirmation_needless(notification, user)):
        return Skip(reason)
    if notification.kind == "waitlist_offer" and _waitlist_entry(notification) is None:
        return Skip("The offer is no longer held (it ran out, or the fan left the waitlist or booked).")

    context = _base_context(notification, user, session)
    context.update(CONTEXTS.get(notification.kind, _no_extra)(notification, user, session))
    template = "payment_refunded" if notification.kind in REFUND_KINDS else notification.kind
    subject = render_template(f"email/{template}.subject.txt", **context).strip()
    message = AddressedMessage(
        subject=" ".join(subject.split()),
        # A young fan's guardian has no account: their emails name the fan's row, addressed to them.
        recipients=[guardian_copies.recipient(notification, user) or mailbox(user.display_name, user.email)],
        body=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", **context),
        extra_headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: no auto-replies
    )
    message.msgId = message_id(notification)
    if method := ICS_METHODS.get(notification.kind):
        message.attach(
            filename="cancellation.ics" if method == "CANCEL" else "invitation.ics",
            content_type=f"text/calendar; method={method}; charset=UTF-8",
            data=ics.invitation(session, method, recipient_id=user.id),
        )
    return message


def _no_longer_applies(notification: Notification, session: LiveSession) -> str | None:
    kind = notification.kind
    now = utcnow()
    sequence = (notification.payload or {}).get("sequence")
    superseded = sequence is not None and sequence < session.ics_sequence
    if kind in REMINDER_OFFSETS:
        if session.status != SessionStatus.CONFIRMED:
            return "The session is no longer confirmed."
        if notification.due_at != scheduled_times(session)[kind]:
            return "The session moved; a reminder for the new time replaces this one."
        if now >= session.starts_at:
            return "The session has already started."
    elif kind == "feedback_request":
        if session.status not in FEEDBACK_STATUSES:
            return "The session did not take place as booked."
        if notification.due_at != scheduled_times(session)[kind]:
            return "The session moved; a request for the new time replaces this one."
        if has_left_feedback(session.id, notification.user_id):
            return "The recipient has already left feedback."
    elif kind in ("booking_confirmed", "rescheduled"):
        if session.status == SessionStatus.CANCELLED:
            return "The session was cancelled since; the cancellation email says so."
        if superseded:
            return "The session changed since; a later email carries the new details."
    elif kind == "awaiting_payment" and session.status != SessionStatus.PENDING_PAYMENT:
        return "The booking is no longer waiting for payment."
    elif kind == "awaiting_payment" and session.hold_expires_at is not None and now >= session.hold_expires_at:
        return "The hold has ended; the hold_expired email says so."
    elif kind == "hold_expired" and session.status != SessionStatus.CANCELLED:
        return "A late payment confirmed the booking after all."
    elif kind in ("no_show_reported", "no_show_resolved") and no_shows.report_of(session.id) is None:
        return "The no-show report is gone (the session's data was deleted)."
    return None


def _reset_request_expired(notification: Notification) -> bool:
    lifetime = current_app.config["PASSWORD_RESET_SECONDS"]
    return (utcnow() - notification.created_at).total_seconds() > lifetime


def _confirmation_needless(notification: Notification, user: User) -> str | None:
    if user.email_confirmed_at is not None:
        return "The account is confirmed already."
    if (utcnow() - notification.created_at).total_seconds() > current_app.config["EMAIL_CONFIRMATION_SECONDS"]:
        return "The registration is older than its link lives; registering again sends a new one."
    return None


def _base_context(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "notification": notification,
        "recipient": user,
        "zone": user.timezone,
        "dashboard_url": links.absolute_url("dashboard.index"),
        "settings_url": links.absolute_url("auth.settings"),
        "home_url": links.absolute_url("discovery.index"),
        "players_url": links.absolute_url("discovery.players"),
        "optional": notification.kind in OPTIONAL_KINDS,
    }
    if session is not None:
        role = session.participant_role(user.id)
        context.update(
            session=session,
            role=role,
            other=session.player if role == "fan" else session.fan,
            **_manage_links(session, user),
        )
    return context


def _manage_links(session: LiveSession, user: User) -> dict[str, Any]:
    """Reschedule and cancel links only while the policy allows them now, when the email is composed
    (a row can wait in the outbox), with the policy's reason when rescheduling is no longer possible."""
    actions = lifecycle.available_actions(session, user, now=utcnow())
    return {
        "cancel_url": links.action_url("cancel", session, user) if actions.can_cancel else None,
        "reschedule_url": links.action_url("reschedule", session, user) if actions.can_reschedule else None,
        "reschedule_note": actions.reschedule_note,
    }


def _no_extra(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    return {}


def _open_checkout_url(session: LiveSession) -> str | None:
    payment = db.session.scalar(
        select(Payment)
        .where(
            Payment.session_id == session.id, Payment.status == PaymentStatus.OPEN, Payment.checkout_url.is_not(None)
        )
        .order_by(Payment.created_at.desc())
        .limit(1)
    )
    if payment is None or (payment.expires_at is not None and payment.expires_at <= utcnow()):
        return None
    return payment.checkout_url


def _awaiting_payment(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    return {"checkout_url": _open_checkout_url(session)}


def _payment_received(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    payment = db.session.scalar(
        select(Payment)
        .where(Payment.session_id == session.id, Payment.status == PaymentStatus.PAID)
        .order_by(Payment.paid_at.desc())
        .limit(1)
    )
    amount = payment.amount if payment is not None else session.price_amount
    currency = payment.currency if payment is not None else session.currency
    return {"amount": amount, "currency": currency, "paid_at": payment.paid_at if payment else None}


def _rescheduled(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    previous = (notification.payload or {}).get("previous_start")
    return {"previous_start": datetime.fromisoformat(previous) if previous else None}


def _cancelled(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    payload = notification.payload or {}
    refund = int(payload.get("refund_amount") or 0)
    currency = payload.get("currency") or session.currency
    role = session.participant_role(user.id)
    other = session.player if role == "fan" else session.fan
    return {
        "cancel_sentence": _who_cancelled(session, user, other),
        "refund_sentence": _refund_sentence(session, role, other, refund, currency),
    }


def _who_cancelled(session: LiveSession, user: User, other: User) -> str:
    if session.cancelled_by_id == user.id:
        sentence = "You cancelled the session."
    elif session.cancelled_by_role == SYSTEM:
        sentence = "The booking was cancelled because it was not paid in time."
    elif session.cancelled_by_role == "admin":
        sentence = "The Kendama Live team cancelled the session."
    elif session.cancelled_by_role == GUARDIAN:
        sentence = f"{session.fan.display_name}'s guardian cancelled the session."
    else:
        sentence = f"{other.display_name} cancelled the session."
    if session.cancellation_reason:
        sentence += f" Reason given: {session.cancellation_reason}"
    return sentence


def _refund_sentence(session: LiveSession, role: str | None, other: User, refund: int, currency: str) -> str:
    if session.price_amount == 0:
        return "The session was free, so there is nothing to refund."
    if session.cancelled_by_role == SYSTEM and refund == 0:
        return "No payment was taken." if role == "fan" else "The fan never paid, so there is no payout to change."
    if refund > 0:
        amount = format_money(refund, currency)
        if role == "fan":
            return f"You get a refund of {amount} to the card you paid with. Banks usually show it within 5 to 10 business days."
        return f"{other.display_name} gets a refund of {amount}; your payout for this session is reduced to match."
    if role == "fan":
        return "Under the cancellation policy this cancellation gets no refund."
    return (
        f"Under the cancellation policy {other.display_name} gets no refund, and your payout for this session stands."
    )


def _reminder(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    return {"join_url": links.action_url("join", session, user), **_room_opens(session)}


def _room_opens(session: LiveSession) -> dict[str, Any]:
    early = current_app.config["VIDEO_JOIN_EARLY_MINUTES"]
    return {"join_opens_minutes": early, "room_opens_at": session.starts_at - timedelta(minutes=early)}


def _joining(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    """How the recipient joins, in an email that gives the session's time (confirmed or moved).

    The join link comes with the 1-hour reminder. When no reminder will bring it (the session is
    less than an hour away, or the recipient turned reminders off), this email carries it, if
    the link still works at the session's end.
    """
    reminder_coming = user.email_reminders and _reminder_pending(session, user)
    link_lasts_until = utcnow() + timedelta(seconds=current_app.config["EMAIL_ACTION_LINK_SECONDS"])
    carries_link = not reminder_coming and link_lasts_until >= session.ends_at
    return {
        "join_url": links.action_url("join", session, user) if carries_link else None,
        "reminder_coming": reminder_coming,
        **_room_opens(session),
    }


def _reminder_pending(session: LiveSession, user: User) -> bool:
    """Whether the 1-hour reminder for the session's current time is still to be sent to the user."""
    query = select(Notification.id).where(
        Notification.session_id == session.id,
        Notification.user_id == user.id,
        Notification.kind == "reminder_1h",
        Notification.status == "pending",
        Notification.due_at == scheduled_times(session)["reminder_1h"],
    )
    return db.session.scalar(query.limit(1)) is not None


def _confirmed(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    return {**_joining(notification, user, session), "calendar_links": calendar_links.for_session(session, user.id)}


def _rescheduled_and_joining(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    return {**_rescheduled(notification, user, session), **_joining(notification, user, session)}


def _password_reset(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    # Minted now, never stored: the token only ever exists in the email that carries it.
    token = accounts.password_reset_token(user)
    return {
        "reset_url": links.absolute_url("auth.reset_password", token=token),
        "valid_minutes": current_app.config["PASSWORD_RESET_SECONDS"] // 60,
    }


def _confirm_email(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    # Minted now, like a reset link: the newest registration's details are the ones it finishes.
    token = accounts.email_confirmation_token(user, (notification.payload or {}).get("next"))
    return {
        "confirm_url": links.absolute_url("auth.confirm_email", token=token),
        "valid_hours": current_app.config["EMAIL_CONFIRMATION_SECONDS"] // 3600,
    }


def _registration_attempt(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    return {
        "login_url": links.absolute_url("auth.login"),
        "forgot_url": links.absolute_url("auth.forgot_password"),
    }


def _player_verified(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    return {"profile_url": links.absolute_url("dashboard.profile")}


def _payment_refunded(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    payload = notification.payload or {}
    return {
        "refund_reason": REFUND_KINDS[notification.kind],
        "amount": int(payload.get("amount") or 0),
        "currency": payload.get("currency") or session.currency,
    }


def _payouts_restricted(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    endpoint = links.first_existing("payments.payouts_page")
    return {
        "currently_due": list((notification.payload or {}).get("currently_due") or []),
        "payouts_url": links.absolute_url(endpoint),
    }


def _recording_ready(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    endpoint = links.first_existing("video.recording_page")
    values = {"session_id": session.id} if endpoint != links.FALLBACK_ENDPOINT else {}
    return {"recording_url": links.absolute_url(endpoint, **values)}


def _coach_notes_published(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    # The notes as they are now: one deleted since the publish is left out.
    ids = (notification.payload or {}).get("note_ids") or []
    notes = db.session.scalars(
        select(CoachNote)
        .where(CoachNote.id.in_(ids), CoachNote.published_at.is_not(None))
        .order_by(CoachNote.at_seconds, CoachNote.id)
    )
    listed = [{"at": at_label(n.at_seconds), "trick": n.trick.name if n.trick else None, "text": n.text} for n in notes]
    return {**_recording_ready(notification, user, session), "notes": listed}


def _waitlist_entry(notification: Notification) -> WaitlistEntry | None:
    """The entry whose offer this email is about, while the offer still holds."""
    entry = db.session.get(WaitlistEntry, (notification.payload or {}).get("entry_id") or 0)
    live = entry is not None and entry.state == WaitlistState.OFFERED and entry.offer_until > utcnow()
    return entry if live else None


def _waitlist_offer(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    entry = _waitlist_entry(notification)
    book_url = links.absolute_url(
        "booking.book", player_id=entry.player_id, duration=entry.duration_minutes, day=entry.day.isoformat()
    )
    return {"entry": entry, "player": entry.player, "book_url": book_url}


def _package_purchase(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    purchase = db.session.get(PackagePurchase, (notification.payload or {}).get("purchase_id") or 0)
    if purchase is None:
        raise PermanentFailure("This email is about a package purchase that does not exist.")
    balance = credits.balance_of(purchase)
    book_url = links.absolute_url("booking.book", player_id=purchase.player_id, duration=purchase.duration_minutes)
    return {"purchase": purchase, "balance": balance, "book_url": book_url, "credits_url": _credits_url()}


def _credits_url() -> str:
    return links.absolute_url("packages.credits_page")


def _no_show(notification: Notification, user: User, session: LiveSession | None) -> dict[str, Any]:
    report = no_shows.report_of(session.id)
    payload = notification.payload or {}
    refunded = int(payload.get("refunded") or 0)
    return {
        "report": report,
        "outcome": payload.get("outcome"),
        "refunded": format_money(refunded, payload.get("currency") or session.currency) if refunded else None,
        "session_url": links.absolute_url("video.join", session_id=session.id),
        "policy_url": links.absolute_url("discovery.policy"),
    }


CONTEXTS: dict[str, Callable[[Notification, User, LiveSession | None], dict[str, Any]]] = {
    "booking_confirmed": _confirmed,
    "awaiting_payment": _awaiting_payment,
    "payment_received": _payment_received,
    "rescheduled": _rescheduled_and_joining,
    "cancelled": _cancelled,
    "reminder_24h": _reminder,
    "reminder_1h": _reminder,
    "password_reset": _password_reset,
    "confirm_email": _confirm_email,
    "registration_attempt": _registration_attempt,
    "player_verified": _player_verified,
    "recording_ready": _recording_ready,
    "coach_notes_published": _coach_notes_published,
    "payouts_restricted": _payouts_restricted,
    "waitlist_offer": _waitlist_offer,
    "package_purchased": _package_purchase,
    "package_expiring": _package_purchase,
    "no_show_reported": _no_show,
    "no_show_resolved": _no_show,
    **dict.fromkeys(REFUND_KINDS, _payment_refunded),
    **guardian_copies.CONTEXTS,
}
