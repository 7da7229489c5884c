"""A lesson's goals: up to three catalog tricks the fan picks while booking, and a goal note."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from ...extensions import db
from ...models import LiveSession, SessionGoal, Trick
from ..errors import InvalidInput
from . import catalog

MAX_GOALS = 3
MAX_GOAL_NOTE = 2000


def checked(trick_ids: Sequence[int], goal_note: str) -> tuple[list[Trick], str]:
    """The goal tricks (catalog, at most three, no repeats) and the stripped note; InvalidInput otherwise."""
    ids = list(dict.fromkeys(trick_ids))
    if len(ids) > MAX_GOALS:
        raise InvalidInput({"goals": f"Choose at most {MAX_GOALS} goal tricks."})
    note = (goal_note or "").strip()
    if len(note) > MAX_GOAL_NOTE:
        raise InvalidInput({"goal_note": f"Keep the goal note under {MAX_GOAL_NOTE} characters."})
    return catalog.active_by_ids(ids, field="goals"), note


def attach(session: LiveSession, tricks: Sequence[Trick]) -> None:
    """Add the goal rows of a session just flushed (the caller commits)."""
    db.session.add_all(
        SessionGoal(session_id=session.id, trick_id=trick.id, position=number)
        for number, trick in enumerate(tricks, start=1)
    )


def goals_of(session_ids: Sequence[int]) -> dict[int, list[Trick]]:
    """Each session's goal tricks, in the fan's order (one query for a whole list of sessions)."""
    found: dict[int, list[Trick]] = defaultdict(list)
    if not session_ids:
        return found
    query = select(SessionGoal).where(SessionGoal.session_id.in_(list(session_ids))).order_by(SessionGoal.position)
    for goal in db.session.scalars(query):
        found[goal.session_id].append(goal.trick)
    return found
