"""The notification outbox: rows written in the caller's transaction, sent after commit.

`queue()` only adds a row to the current transaction. When that transaction commits, the
row's id is handed to the job runner (kendama/jobs.py); if that hand-off is lost (Redis down,
worker crash) the periodic sweep finds the row by its status and due time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Notification, utcnow

# Emails a user may turn off; everything else is transactional and always sent.
OPTIONAL_KINDS = {"reminder_24h": "email_reminders", "reminder_1h": "email_reminders",
                  "feedback_request": "email_feedback_requests"}


def queue(
    user_id: int,
    kind: str,
    *,
    session_id: int | None = None,
    payload: dict[str, Any] | None = None,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Add a notification to the current transaction (the caller commits)."""
    if dedupe_key is not None:
        existing = db.session.scalar(select(Notification).where(Notification.dedupe_key == dedupe_key))
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
    db.session.add(notification)
    db.session.info.setdefault("outbox_pending", []).append(notification)
    return notification


def send_password_reset(user) -> None:
    """Queue a reset email; the signed link is minted when it is sent, never stored."""
    queue(user.id, "password_reset")
    db.session.commit()
