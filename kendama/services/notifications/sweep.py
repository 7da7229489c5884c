"""Keeping the notification outbox moving: the periodic sweep, and the admins' view of failures.

The sweep is what makes the outbox lose nothing. It sends what is due (reminders are rows with
due times, not delayed jobs), re-hands to the job runner rows whose job was dropped (Redis down
at commit, a worker killed), and puts back rows whose worker died mid-send (see delivery.py for
that trade-off).

For rows that wait in the queue, `locked_at` records when the sweep last handed the row over,
so a backed-up queue is not flooded with copies; for a row being sent it is when the worker
claimed it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from ...extensions import db
from ...models import Notification, User, utcnow
from ...tasks.queue import after_commit
from ..access import require_admin
from ..errors import NotFound, WrongState
from .delivery import RETRYABLE_STATUSES

PROBLEM_STATUSES = ("failed", "dead")
# A row handed over this long ago and still not sent is handed over again.
REHAND_AFTER = timedelta(minutes=5)


def reclaim_stale_sending() -> int:
    """Rows left "sending" by a worker that died go back to the retry path; returns how many."""
    config = current_app.config
    cutoff = utcnow() - timedelta(seconds=config["NOTIFICATION_SENDING_TIMEOUT_SECONDS"])
    stale = (Notification.status == "sending", Notification.locked_at < cutoff)
    error = "The worker sending this stopped before finishing; it was retried."
    dead = db.session.execute(
        update(Notification)
        .where(*stale, Notification.attempts >= config["NOTIFICATION_MAX_ATTEMPTS"])
        .values(status="dead", locked_at=None, last_error=error)
        .execution_options(synchronize_session=False)
    ).rowcount
    retried = db.session.execute(
        update(Notification)
        .where(*stale)
        .values(status="failed", locked_at=None, due_at=utcnow(), last_error=error)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return dead + retried


def due_for_hand_off(limit: int) -> list[int]:
    """Ids of due rows nobody handed over recently, oldest due first, marked as handed over now."""
    now = utcnow()
    ids = list(
        db.session.scalars(
            select(Notification.id)
            .where(
                Notification.status.in_(RETRYABLE_STATUSES),
                Notification.due_at <= now,
                or_(Notification.locked_at.is_(None), Notification.locked_at < now - REHAND_AFTER),
            )
            .order_by(Notification.due_at, Notification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(locked_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return ids


def sweep(hand_off: Callable[[int], None]) -> int:
    """One pass: reclaim stale sends, then hand every due row to `hand_off`; returns rows handed."""
    reclaim_stale_sending()
    ids = due_for_hand_off(current_app.config["NOTIFICATION_SWEEP_BATCH"])
    for notification_id in ids:
        hand_off(notification_id)
    return len(ids)


# --- The admins' view -------------------------------------------------------------------


def problems(admin: User, limit: int = 100) -> list[tuple[Notification, User]]:
    """Notifications that failed (waiting for a retry) or gave up (dead) with their recipients, newest first."""
    require_admin(admin)
    rows = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.status.in_(PROBLEM_STATUSES))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return [(notification, user) for notification, user in rows]


def problem_counts(admin: User) -> dict[str, int]:
    """How many notifications are in each problem status."""
    require_admin(admin)
    rows = db.session.execute(
        select(Notification.status, func.count())
        .where(Notification.status.in_(PROBLEM_STATUSES))
        .group_by(Notification.status)
    )
    counts = dict.fromkeys(PROBLEM_STATUSES, 0)
    counts.update({status: count for status, count in rows})
    return counts


def retry(admin: User, notification_id: int) -> Notification:
    """Send a failed or dead notification again now, with a fresh count of attempts."""
    require_admin(admin)
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        raise NotFound("We could not find that notification.")
    if notification.status not in PROBLEM_STATUSES:
        raise WrongState(f"This notification is {notification.status}; only failed or dead ones are retried.")
    notification.status = "pending"
    notification.attempts = 0
    notification.due_at = utcnow()
    notification.locked_at = None
    after_commit("kendama.jobs.send_notification", notification.id)
    db.session.commit()
    return notification
