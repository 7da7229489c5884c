"""The JSON answer of GET /api/users/:id/availability, put together from cached days of slots.

Availability is the API's busiest read. Its slots are cached one UTC day at a time, each slot
already written as its JSON object, under the player's schedule version (the rules that keep a
cached slot right are in services/booking/slot_cache.py), so a request joins a few strings instead of
computing and writing hundreds of slots; only the first and last day are trimmed to the range
asked for. Days, not ranges, are the keys, so clients asking for ranges of every shape cannot
fill the cache with copies of one answer.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app

from ...models import utcnow
from ...services.booking import offers, slot_cache
from .session_serializers import slot_list_out

DAY_SECONDS = 86400


@dataclass(frozen=True)
class SlotDay:
    """One UTC day of a player's free slots: their starts and their JSON objects."""

    duration_minutes: int
    starts: list[float]
    objects: list[str]


def slot_answer(player_id: int, duration_minutes: int | None, start: datetime, end: datetime) -> str:
    """The JSON body listing the player's free slots starting in [start, end)."""
    offers.check_slot_range(start, end)
    now = utcnow()
    low, high = start.timestamp(), end.timestamp()
    days = list(range(int(low // DAY_SECONDS), int(-(-high // DAY_SECONDS))))

    def compute(missing: list[Hashable]) -> dict[Hashable, slot_cache.Computed]:
        return _compute_days(player_id, duration_minutes, missing, now)

    cached = slot_cache.remember_parts(player_id, f"api-slots:{duration_minutes}", days, compute, now=now)
    objects: list[str] = []
    for day in days:
        part: SlotDay = cached[day]
        if low <= day * DAY_SECONDS and (day + 1) * DAY_SECONDS <= high:
            objects.extend(part.objects)
        else:
            objects.extend(text for at, text in zip(part.starts, part.objects, strict=True) if low <= at < high)
    duration = cached[days[0]].duration_minutes
    return f'{{"duration_minutes":{duration},"player_id":{player_id},"slots":[{",".join(objects)}]}}\n'


def _compute_days(
    player_id: int, duration_minutes: int | None, days: list[int], now: datetime
) -> dict[int, slot_cache.Computed]:
    """Whole UTC days of slots, from the first missing day to the last (listing checks included)."""
    first, last = min(days), max(days)
    found = offers.listed_free_slots(
        player_id,
        duration_minutes,
        datetime.fromtimestamp(first * DAY_SECONDS, UTC),
        datetime.fromtimestamp((last + 1) * DAY_SECONDS, UTC),
        now=now,
    )
    notice = found.slots[0].start - found.fresh_until if found.slots else None
    written = slot_list_out(found)["slots"]
    dumps = current_app.json.dumps
    by_day: dict[int, tuple[list[float], list[str]]] = {day: ([], []) for day in days}
    for slot, data in zip(found.slots, written, strict=True):
        at = slot.start.timestamp()
        bucket = by_day.get(int(at // DAY_SECONDS))
        if bucket is not None:
            bucket[0].append(at)
            bucket[1].append(dumps(data))
    computed: dict[int, slot_cache.Computed] = {}
    for day, (starts, objects) in by_day.items():
        # A day stays right until its own first slot falls inside the minimum notice.
        fresh_until = datetime.fromtimestamp(starts[0], UTC) - notice if starts and notice is not None else None
        computed[day] = (SlotDay(found.duration_minutes, starts, objects), fresh_until)
    return computed
