"""The notification outbox: rows written in the caller's transaction, sent after commit.

`queue()` and `queue_all()` only add rows to the current transaction. When that transaction
commits, a row that is due now is handed to the job runner (kendama/jobs.py); later ones
(reminders) and any hand-off that is lost (Redis down, worker crash) are found by the periodic
sweep by status and due time.

A dedupe key makes reporting the same event twice harmless: the rows go in with one
`INSERT .. ON CONFLICT (dedupe_key) DO NOTHING` (PostgreSQL and SQLite both have it; SQLAlchemy
builds it per dialect), so a key that exists already, or that a concurrent transaction is adding
(the insert waits for it), adds nothing, and the caller's own change is never rolled back for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, update

from ...dialects import insert_skipping_duplicates
from ...extensions import db
from ...models import LiveSession, Notification, utcnow
from ...tasks.queue import after_commit

# Emails a user may turn off; everything else is transactional and always sent.
OPTIONAL_KINDS = {
    "reminder_24h": "email_reminders",
    "reminder_1h": "email_reminders",
    "feedback_request": "email_feedback_requests",
}


@dataclass(frozen=True)
class Message:
    """One outbox row to write (see queue_all)."""

    user_id: int
    kind: str
    session_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    due_at: datetime = field(default_factory=utcnow)
    dedupe_key: str | None = None


def queue(
    user_id: int,
    kind: str,
    *,
    session_id: int | None = None,
    payload: dict[str, Any] | None = None,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Add a notification to the current transaction (the caller commits); None if it exists already."""
    message = Message(user_id, kind, session_id, payload or {}, due_at or utcnow(), dedupe_key)
    written = db.session.scalars(_INSERT_ROW.get(), [_values(message)]).all()
    _hand_over_due(written)
    return written[0] if written else None


def queue_all(messages: Iterable[Message]) -> list[int]:
    """Add several notifications to the current transaction in one statement; returns the ids written.

    Messages whose dedupe key exists already are left out (see the module docstring). Unlike
    queue(), no ORM objects are made: that was most of the cost of a booking's eight rows.
    """
    values = [_values(message) for message in messages]
    if not values:
        return []
    written = db.session.execute(_INSERT_ROWS.get(), values).all()
    _hand_over_due(written)
    return [row.id for row in written]


def _values(message: Message) -> dict[str, Any]:
    return {
        "user_id": message.user_id,
        "session_id": message.session_id,
        "kind": message.kind,
        "payload": message.payload,
        "due_at": message.due_at,
        "dedupe_key": message.dedupe_key,
    }


def _hand_over_due(written: Iterable[Notification | Row]) -> None:
    """Rows due now go to the job runner once the transaction commits; the sweep finds the rest."""
    now = utcnow()
    for row in written:
        if row.due_at <= now:
            after_commit("kendama.jobs.send_notification", row.id)


# Built once per dialect (though SQLAlchemy compiles ON CONFLICT afresh for each run).
_TABLE = Notification.__table__
_INSERT_ROW = insert_skipping_duplicates(Notification, Notification.dedupe_key, Notification)
_INSERT_ROWS = insert_skipping_duplicates(_TABLE, _TABLE.c.dedupe_key, _TABLE.c.id, _TABLE.c.due_at)


def send_password_reset(user) -> None:
    """Queue a reset email; the signed link is minted when it is sent, never stored."""
    queue(user.id, "password_reset")
    db.session.commit()


# --- What happened, as the rest of the domain reports it --------------------------------
# Each adds outbox rows to the caller's transaction; kendama/services/notifications/delivery.py renders and
# sends them. Dedupe keys carry the session's ics_sequence, so a repeat of the same event in the
# same state adds nothing, while a later change (a reschedule) is a new message.

REMINDER_OFFSETS = {"reminder_24h": timedelta(hours=24), "reminder_1h": timedelta(hours=1)}
# The feedback request goes out a little after the end, once the session has been closed.
FEEDBACK_DELAY = timedelta(minutes=30)
# Rows with due times tied to the session's time: they move on reschedule and go on cancel.
SCHEDULED_KINDS = (*REMINDER_OFFSETS, "feedback_request")


def scheduled_times(session: LiveSession) -> dict[str, datetime]:
    """When each scheduled email of a session is due."""
    times = {kind: session.starts_at - offset for kind, offset in REMINDER_OFFSETS.items()}
    times["feedback_request"] = session.ends_at + FEEDBACK_DELAY
    return times


def _to_both(session: LiveSession, kind: str, payload: dict[str, Any] | None = None) -> list[Message]:
    # The sequence lets delivery skip an email that a later change (higher SEQUENCE) overtook.
    return [
        Message(
            user_id,
            kind,
            session_id=session.id,
            payload={**(payload or {}), "sequence": session.ics_sequence},
            dedupe_key=f"{kind}:{session.id}:{session.ics_sequence}:{user_id}",
        )
        for user_id in (session.fan_id, session.player_id)
    ]


def _to_guardian(session: LiveSession, kind: str, payload: dict[str, Any] | None = None) -> list[Message]:
    """The copy for a young fan's guardian (services/notifications/guardian_copies.py addresses it)."""
    if not session.fan_is_minor:
        return []
    copy = f"guardian_{kind}"
    return [
        Message(
            session.fan_id,
            copy,
            session_id=session.id,
            payload={**(payload or {}), "sequence": session.ics_sequence},
            dedupe_key=f"{copy}:{session.id}:{session.ics_sequence}",
        )
    ]


# "Complete your payment" waits this long after a paid booking: most fans pay at once on the
# Checkout they are sent to, and the email is skipped when composed once the booking is no
# longer pending, so they never get it.
AWAITING_PAYMENT_DELAY = timedelta(minutes=5)


def on_awaiting_payment(session: LiveSession, *, now: datetime | None = None) -> None:
    """A paid booking is held until the fan pays: remind them to pay, a little later.

    After AWAITING_PAYMENT_DELAY, or halfway to the hold's end when that is sooner, so the email
    never comes after the hold (or so late that there is no time left to pay).
    """
    now = now or utcnow()
    due = now + AWAITING_PAYMENT_DELAY
    if session.hold_expires_at is not None:
        due = min(due, now + (session.hold_expires_at - now) / 2)
    queue(
        session.fan_id,
        "awaiting_payment",
        session_id=session.id,
        due_at=due,
        dedupe_key=f"awaiting_payment:{session.id}:{session.ics_sequence}",
    )


def on_confirmed(session: LiveSession) -> None:
    """A booking is confirmed (free at once, paid when the payment arrives): invitations + reminders."""
    kind = "booking_confirmed"
    queue_all([*_to_both(session, kind), *_to_guardian(session, kind), *_reminders(session)])


def on_payment_received(session: LiveSession) -> None:
    queue(session.fan_id, "payment_received", session_id=session.id, dedupe_key=f"payment_received:{session.id}")


def on_rescheduled(session: LiveSession, previous_start: datetime) -> None:
    """Both sides get the new time (an updated invitation); reminders move with it."""
    cancel_reminders(session)  # first: it releases the keys that the new reminders may reuse
    queue_all([*_to_both(session, "rescheduled", {"previous_start": previous_start.isoformat()}), *_reminders(session)])


def on_cancelled(session: LiveSession, refund_amount: int = 0) -> None:
    """Both sides get the cancellation (a CANCEL invitation); pending reminders are dropped."""
    payload = {"refund_amount": refund_amount, "currency": session.currency}
    queue_all([*_to_both(session, "cancelled", payload), *_to_guardian(session, "cancelled", payload)])
    cancel_reminders(session)


def on_recording_ready(session: LiveSession) -> None:
    queue_all(_to_both(session, "recording_ready"))


def schedule_reminders(session: LiveSession) -> None:
    """Reminder (and feedback request) rows with due times; ones already in the past are skipped.

    Whether a user wants them is checked when they are due, so a preference changed in the
    meantime is honoured.
    """
    queue_all(_reminders(session))


def _reminders(session: LiveSession) -> list[Message]:
    now = utcnow()
    return [
        Message(
            user_id,
            kind,
            session_id=session.id,
            payload={"sequence": session.ics_sequence},
            due_at=due,
            dedupe_key=f"{kind}:{session.id}:{session.ics_sequence}:{user_id}",
        )
        for kind, due in scheduled_times(session).items()
        if due > now
        for user_id in (session.fan_id, session.player_id)
    ]


def cancel_reminders(session: LiveSession) -> None:
    """Drop the scheduled emails of this session that have not gone out yet.

    Their dedupe keys are released, so rescheduling to a time (or SEQUENCE) used before can
    schedule reminders again.
    """
    db.session.execute(
        update(Notification)
        .where(
            Notification.session_id == session.id,
            Notification.kind.in_(SCHEDULED_KINDS),
            Notification.status.in_(("pending", "failed")),
        )
        .values(status="cancelled", dedupe_key=None)
    )
