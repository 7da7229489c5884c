"""Rendered HTML of the public pages' costly parts, cached under the schedule versions they show.

A player's profile and a page of the listing are read far more often than they change, and
most of their cost is loading rows and rendering them. The rendered fragment is stored with
services/booking/slot_cache.py, so the rules that keep cached slots right keep these right too: a
fragment is keyed by the version of the player it shows (or, for the listing, by the version
that moves when any player's does), and it is stored no longer than the slots it was built
from stay right. Everything else a fragment depends on (the viewer's zone, whether someone is
signed in, the filters) must be part of its key; what depends on the request alone, such as
the CSRF token, stays outside it in the page around the fragment.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from ..models import utcnow
from ..services.booking import slot_cache

T = TypeVar("T")


def player_fragment(player_id: int, name: str, key: Hashable, render: Callable[[], T]) -> T:
    """`render()`'s value for one player's page part, rendered again once that player's schedule changes."""
    return slot_cache.remember(player_id, name, key, _computed(render), now=utcnow())


def listing_fragment(name: str, key: Hashable, render: Callable[[], T]) -> T:
    """`render()`'s value for a part that lists players, rendered again once any player changes."""
    return slot_cache.remember_listing(name, key, _computed(render), now=utcnow())


def _computed(render: Callable[[], T]) -> Callable[[], slot_cache.Computed]:
    def compute() -> slot_cache.Computed:
        with slot_cache.collect_freshness() as freshness:
            value = render()
        return value, freshness.until

    return compute
