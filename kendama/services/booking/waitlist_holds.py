"""Slots held for a fan from a waitlist: who else may not book them, and may not be shown them.

Kept apart from waitlist.py so the booking pickers (offers.py, which waitlist.py builds on) can
leave held slots out without an import cycle.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from ...extensions import db
from ...models import WaitlistEntry, WaitlistState


def live_offers(player_id: int, start: datetime, end: datetime, now: datetime) -> Select:
    """Offers still held that overlap [start, end)."""
    return select(WaitlistEntry).where(
        WaitlistEntry.player_id == player_id,
        WaitlistEntry.state == WaitlistState.OFFERED.value,
        WaitlistEntry.offer_until > now,
        WaitlistEntry.offer_start < end,
        WaitlistEntry.offer_end > start,
    )


def held_for_others(
    player_id: int, viewer_id: int | None, start: datetime, end: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    """The spans in [start, end) held for fans other than the viewer (every held span for a visitor)."""
    query = live_offers(player_id, start, end, now)
    if viewer_id is not None:
        query = query.where(WaitlistEntry.fan_id != viewer_id)
    return [(entry.offer_start, entry.offer_end) for entry in db.session.scalars(query)]
