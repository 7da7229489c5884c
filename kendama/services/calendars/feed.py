"""Who a private calendar-feed address belongs to, and that user's feed."""

from __future__ import annotations

import hmac

from sqlalchemy import select

from ...extensions import db
from ...models import User
from ..errors import NotFound
from . import ics

# secrets.token_urlsafe(32) gives 43 characters; anything far off is not worth a query.
_TOKEN_LENGTHS = range(32, 65)


def owner_of(token: str) -> User:
    """The active user whose feed token this is; NotFound otherwise (same answer for every miss)."""
    user = None
    if len(token) in _TOKEN_LENGTHS:
        user = db.session.scalar(select(User).where(User.calendar_token == token))
    # The index lookup finds the row; the constant-time check is what decides.
    if user is None or not hmac.compare_digest(user.calendar_token.encode(), token.encode()) or not user.is_active:
        raise NotFound("There is no calendar at this address.")
    return user


def feed_for_token(token: str) -> bytes:
    """The iCalendar feed behind a private address."""
    return ics.feed_for(owner_of(token))
