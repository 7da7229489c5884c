"""Handling a provider's webhook event once: the idempotency the Stripe and video webhooks share.

A row in webhook_events, unique per (provider, event id), is the fact that an event was handled.
A webhook service asks `already_recorded` first (a read, so a repeated delivery is answered
without asking the provider anything), re-reads what the event names from the provider outside
any transaction, then calls `record_event_once` in the transaction that applies the event: when
a concurrent delivery of the same event got its row in first, the unique key refuses this one.
The caller sets `processed_at` and commits the row with its changes, so an event whose handling
fails leaves no row, and the provider's retry applies it.

This sits in services rather than on the model because it decides the session's transaction
(it rolls back on a duplicate); both webhooks (payments/webhooks.py, video/webhooks.py) use it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import WebhookEvent

# Longer ids or types are cut to the columns' widths, the same way when checking and recording.
EVENT_ID_LENGTH = WebhookEvent.__table__.c.event_id.type.length
EVENT_TYPE_LENGTH = WebhookEvent.__table__.c.event_type.type.length


def already_recorded(provider: str, event_id: str) -> bool:
    """Whether this provider's event was handled before."""
    found = db.session.scalar(
        select(WebhookEvent.id).where(
            WebhookEvent.provider == provider, WebhookEvent.event_id == event_id[:EVENT_ID_LENGTH]
        )
    )
    return found is not None


def record_event_once(provider: str, event_id: str, event_type: str) -> WebhookEvent | None:
    """Add the event's row in the current transaction; None (all rolled back) when it is a duplicate.

    Called with nothing else pending in the session. A plain flush rather than a savepoint: on
    SQLite a transaction that has only read turns IMMEDIATE before its first write, which it
    cannot do inside a SAVEPOINT (see dialects.py).
    """
    record = WebhookEvent(
        provider=provider, event_id=event_id[:EVENT_ID_LENGTH], event_type=event_type[:EVENT_TYPE_LENGTH]
    )
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # a concurrent delivery of the same event got there first
        return None
    return record
