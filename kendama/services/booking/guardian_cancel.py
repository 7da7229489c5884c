"""A young fan's guardian cancels a lesson from the link in their copy of the confirmation.

The guardian has no account, so the signed link stands in for signing in; the cancellation is
the fan's own (lifecycle.cancel with the fan as the actor: the fan's policy and refund), recorded
as made by the guardian.
"""

from __future__ import annotations

from datetime import datetime

from ...extensions import db
from ...models import LiveSession
from ..accounts import guardians
from . import lifecycle, policy


def quote(token: str, *, now: datetime | None = None) -> tuple[LiveSession, policy.RefundQuote]:
    """The session the link names and what cancelling it now gives back (WrongState when it cannot be)."""
    session = guardians.session_for_cancel_link(token)
    return session, lifecycle.cancellation_quote(session.fan, session.id, now=now)


def cancel(token: str, reason: str = "", *, now: datetime | None = None) -> lifecycle.Cancellation:
    """Cancel the lesson for the fan, under the normal policy, as the guardian."""
    session = guardians.session_for_cancel_link(token)
    fan, session_id = session.fan, session.id
    db.session.expire(session)  # the cancel reads it again under its lock, as it is now
    return lifecycle.cancel(fan, session_id, reason, now=now, on_behalf=policy.GUARDIAN)
