"""Releasing an unpaid hold: the slot freed by the system, with the words the fan reads.

Booking expires holds whose time is up; payments release one whose last Checkout expired or
whose payment came after the start. Both release through here, so a released hold is written
and announced the same way whoever noticed it. The caller holds the session's lock and commits.
"""

from __future__ import annotations

from datetime import datetime

from ...models import LiveSession
from ..notifications import outbox
from .policy import SYSTEM

RAN_OUT = "The payment was not completed in time, so the slot was released."
PAID_TOO_LATE = "The payment arrived after the start, so the slot was released."


def release_hold(session: LiveSession, reason: str, now: datetime) -> None:
    """Cancel an unpaid hold by the system, releasing its slot."""
    session.mark_cancelled(now, SYSTEM, reason)


def ran_out_notice(session: LiveSession) -> outbox.Message:
    """The fan's notice that the hold ran out (once per session, however often it is released)."""
    return outbox.Message(
        session.fan_id, "hold_expired", session_id=session.id, dedupe_key=f"hold_expired:{session.id}"
    )
