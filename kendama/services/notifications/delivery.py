"""Sending one outbox row: claim it, compose the email, hand it to the mail adapter, record the result.

The claim is a single conditional UPDATE (pending/failed and due -> sending) committed before
anything is sent, so two workers that pick up the same row never both send it: PostgreSQL
makes the second UPDATE wait for the first and then finds the row no longer matches.

Crash trade-off: a worker that dies after claiming leaves the row "sending". We do not know
whether the SMTP server accepted the message before the crash, so we choose re-sending over
losing it: after NOTIFICATION_SENDING_TIMEOUT_SECONDS (far longer than any send can take, the
SMTP timeout included) the sweep puts the row back to "failed" and it is sent again. So a
message goes out at most once while workers stay alive, and at least once across crashes; the
Message-ID is the same on every attempt, so receiving servers and clients can fold a rare
duplicate. Each claim counts as an attempt, so a message that kills its worker every time ends
up "dead" rather than looping.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from ...extensions import db
from ...integrations import mail as mail_adapter
from ...models import Notification, utcnow
from . import emails

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = ("pending", "failed")


def deliver(notification_id: int) -> str | None:
    """Send one due outbox row unless another worker has it; returns its new status (None: not claimed)."""
    if not _claim(notification_id):
        return None
    notification = db.session.get(Notification, notification_id)
    try:
        outcome = emails.compose(notification)
    except emails.PermanentFailure as exc:
        return _record_failure(notification_id, str(exc), permanent=True)
    except Exception as exc:  # a bug in composing must not leave the row stuck in "sending"
        log.exception("composing notification %s failed", notification_id)
        return _record_failure(notification_id, f"{type(exc).__name__}: {exc}")
    if isinstance(outcome, emails.Skip):
        return _finish(notification, "skipped", note=outcome.reason)
    try:
        mail_adapter.send(outcome)
    except Exception as exc:  # SMTP refused, timed out, or mail is not configured: retry later
        log.warning("sending notification %s failed: %s", notification_id, exc)
        return _record_failure(notification_id, f"{type(exc).__name__}: {exc}")
    return _finish(notification, "sent")


def _claim(notification_id: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status.in_(RETRYABLE_STATUSES),
            Notification.due_at <= now,
        )
        .values(status="sending", locked_at=now, attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _finish(notification: Notification, status: str, note: str | None = None) -> str:
    notification.status = status
    notification.locked_at = None
    notification.last_error = note
    if status == "sent":
        notification.sent_at = utcnow()
    db.session.commit()
    return status


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: the base delay doubled for each attempt after the first, capped."""
    config = current_app.config
    seconds = config["NOTIFICATION_RETRY_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["NOTIFICATION_RETRY_MAX_SECONDS"]))


def _record_failure(notification_id: int, error: str, *, permanent: bool = False) -> str:
    db.session.rollback()  # whatever the failed step left behind is not ours to keep
    notification = db.session.get(Notification, notification_id)
    notification.last_error = error[:2000]
    notification.locked_at = None
    if permanent or notification.attempts >= current_app.config["NOTIFICATION_MAX_ATTEMPTS"]:
        notification.status = "dead"
    else:
        notification.status = "failed"
        notification.due_at = utcnow() + retry_delay(notification.attempts)
    db.session.commit()
    return notification.status
