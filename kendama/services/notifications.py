"""The notification outbox: rows written in the caller's transaction, sent after commit.

`queue()` only adds a row to the current transaction. When that transaction commits, a row that
is due now is handed to the job runner (kendama/jobs.py); later ones (reminders) and any hand-off
that is lost (Redis down, worker crash) are found by the periodic sweep by status and due time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import jobs
from ..extensions import db
from ..models import LiveSession, Notification, utcnow

# Emails a user may turn off; everything else is transactional and always sent.
OPTIONAL_KINDS = {
    "reminder_24h": "email_reminders",
    "reminder_1h": "email_reminders",
    "feedback_request": "email_feedback_requests",
}


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
    if dedupe_key is not None:
        existing = db.session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key))
        if existing is not None:
            return None
    notification = Notification(
        user_id=user_id,
        session_id=session_id,
        kind=kind,
        payload=payload or {},
        due_at=due_at or utcnow(),
        dedupe_key=dedupe_key,
    )
    db.session.flush()  # the caller's own pending changes fail (or not) on their own, outside the savepoint
    try:
        # A savepoint: when a concurrent transaction added the same dedupe key first, only this
        # row is dropped, not the caller's change.
        with db.session.begin_nested():
            db.session.add(notification)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    if notification.due_at <= utcnow():
        jobs.after_commit(jobs.send_notification, notification.id)
    return notification


def send_password_reset(user) -> None:
    """Queue a reset email; the signed link is minted when it is sent, never stored."""
    queue(user.id, "password_reset")
    db.session.commit()


# --- What happened, as the rest of the domain reports it --------------------------------
# Each adds outbox rows to the caller's transaction; kendama/services/delivery.py renders and
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


def _both(session: LiveSession, kind: str, payload: dict[str, Any] | None = None) -> None:
    # The sequence lets delivery skip an email that a later change (higher SEQUENCE) overtook.
    for user_id in (session.fan_id, session.player_id):
        queue(
            user_id,
            kind,
            session_id=session.id,
            payload={**(payload or {}), "sequence": session.ics_sequence},
            dedupe_key=f"{kind}:{session.id}:{session.ics_sequence}:{user_id}",
        )


def on_awaiting_payment(session: LiveSession) -> None:
    """A paid booking is held until the fan pays."""
    queue(
        session.fan_id,
        "awaiting_payment",
        session_id=session.id,
        dedupe_key=f"awaiting_payment:{session.id}:{session.ics_sequence}",
    )


def on_confirmed(session: LiveSession) -> None:
    """A booking is confirmed (free at once, paid when the payment arrives): invitations + reminders."""
    _both(session, "booking_confirmed")
    schedule_reminders(session)


def on_payment_received(session: LiveSession) -> None:
    queue(session.fan_id, "payment_received", session_id=session.id, dedupe_key=f"payment_received:{session.id}")


def on_rescheduled(session: LiveSession, previous_start: datetime) -> None:
    """Both sides get the new time (an updated invitation); reminders move with it."""
    _both(session, "rescheduled", {"previous_start": previous_start.isoformat()})
    cancel_reminders(session)
    schedule_reminders(session)


def on_cancelled(session: LiveSession, refund_amount: int = 0) -> None:
    """Both sides get the cancellation (a CANCEL invitation); pending reminders are dropped."""
    _both(session, "cancelled", {"refund_amount": refund_amount, "currency": session.currency})
    cancel_reminders(session)


def on_recording_ready(session: LiveSession) -> None:
    _both(session, "recording_ready")


def schedule_reminders(session: LiveSession) -> None:
    """Reminder (and feedback request) rows with due times; ones already in the past are skipped.

    Whether a user wants them is checked when they are due, so a preference changed in the
    meantime is honoured.
    """
    now = utcnow()
    for kind, due in scheduled_times(session).items():
        if due <= now:
            continue
        for user_id in (session.fan_id, session.player_id):
            queue(
                user_id,
                kind,
                session_id=session.id,
                due_at=due,
                payload={"sequence": session.ics_sequence},
                dedupe_key=f"{kind}:{session.id}:{session.ics_sequence}:{user_id}",
            )


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
