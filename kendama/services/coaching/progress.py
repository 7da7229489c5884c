"""Progress: after a lesson its player marks each trick worked on (landed, getting closer, not
yet); a fan's history per trick runs across sessions and players."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ...extensions import db
from ...models import LiveSession, ProgressMark, ProgressState, SessionStatus, Trick, User, utcnow
from ..access import session_for_viewer
from ..accounts import guardians
from ..errors import InvalidInput, NotAllowed, WrongState
from . import catalog

MAX_MARK_NOTE = 280
STATE_LABELS = {
    ProgressState.LANDED: "Landed",
    ProgressState.CLOSER: "Getting closer",
    ProgressState.NOT_YET: "Not yet",
}
# Where a lesson has taken place (or is taking place): progress can be marked.
MARKABLE = (SessionStatus.IN_PROGRESS.value, SessionStatus.COMPLETED.value, SessionStatus.CONFIRMED.value)


@dataclass(frozen=True)
class MarkIn:
    trick_id: int
    state: str
    note: str = ""


@dataclass(frozen=True)
class HistoryEntry:
    session_id: int
    player_name: str
    state: str
    note: str
    at: datetime  # the session's start


@dataclass(frozen=True)
class TrickProgress:
    trick: Trick
    history: list[HistoryEntry]  # oldest first

    @property
    def latest_state(self) -> str:
        return self.history[-1].state


def _checked_marks(items: Sequence[MarkIn]) -> list[MarkIn]:
    if not items:
        raise InvalidInput({"items": "Mark at least one trick."})
    problems: dict[str, str] = {}
    seen: set[int] = set()
    kept = []
    for number, item in enumerate(items):
        if item.state not in set(ProgressState):
            problems[f"items.{number}.state"] = "Choose landed, getting closer or not yet."
        note = (item.note or "").strip()
        if len(note) > MAX_MARK_NOTE:
            problems[f"items.{number}.note"] = f"Keep the line under {MAX_MARK_NOTE} characters."
        if item.trick_id in seen:
            problems[f"items.{number}.trick_id"] = "Each trick once."
        seen.add(item.trick_id)
        kept.append(MarkIn(item.trick_id, item.state, note))
    if problems:
        raise InvalidInput(problems)
    catalog.active_by_ids(list(seen), field="items")
    return kept


def mark_progress(
    player: User, session_id: int, items: Sequence[MarkIn], *, now: datetime | None = None
) -> list[ProgressMark]:
    """The session's player marks tricks after the start; marking a trick again replaces its mark."""
    now = now or utcnow()
    session = session_for_viewer(player, session_id, for_update=True)
    if player.id != session.player_id:
        raise NotAllowed("Only the session's player marks progress.")
    if session.status not in MARKABLE or session.starts_at > now:
        raise WrongState("Progress can be marked once the lesson has started.", code="not_started")
    marks = _checked_marks(items)
    existing = {
        m.trick_id: m for m in db.session.scalars(select(ProgressMark).where(ProgressMark.session_id == session.id))
    }
    for item in marks:
        row = existing.get(item.trick_id) or ProgressMark(
            session_id=session.id, fan_id=session.fan_id, player_id=session.player_id, trick_id=item.trick_id
        )
        row.state, row.note = item.state, item.note
        db.session.add(row)
    db.session.commit()
    return list(db.session.scalars(select(ProgressMark).where(ProgressMark.session_id == session.id)))


def marks_of_session(viewer: User, session_id: int) -> list[ProgressMark]:
    session = session_for_viewer(viewer, session_id)
    return list(db.session.scalars(select(ProgressMark).where(ProgressMark.session_id == session.id)))


def _history(fan_id: int, player_id: int | None = None) -> list[TrickProgress]:
    query = (
        select(ProgressMark, LiveSession.starts_at, User.display_name)
        .join(LiveSession, LiveSession.id == ProgressMark.session_id)
        .join(User, User.id == ProgressMark.player_id)
        .where(ProgressMark.fan_id == fan_id)
        .order_by(LiveSession.starts_at, ProgressMark.id)
    )
    if player_id is not None:
        query = query.where(ProgressMark.player_id == player_id)
    by_trick: dict[int, TrickProgress] = {}
    for mark, starts_at, player_name in db.session.execute(query):
        entry = HistoryEntry(mark.session_id, player_name, mark.state, mark.note, starts_at)
        by_trick.setdefault(mark.trick_id, TrickProgress(mark.trick, [])).history.append(entry)
    return sorted(by_trick.values(), key=lambda p: (p.trick.family, p.trick.level, p.trick.name))


def fan_progress(fan: User) -> list[TrickProgress]:
    """The fan's own history per trick, across sessions and players."""
    return _history(fan.id)


def before_lesson(player: User, session: LiveSession) -> list[TrickProgress]:
    """What the returning fan worked on before: with this player, or with anyone when the fan allows it."""
    if player.id != session.player_id:
        return []
    return _history(session.fan_id, None if session.fan.progress_shared_with_players else player.id)


def next_tricks(progress: Sequence[TrickProgress], *, limit: int = 3) -> list[Trick]:
    """Suggestions: tricks one level up in the family of each trick the fan has landed."""
    landed = [p.trick for p in progress if p.latest_state == ProgressState.LANDED]
    known = {p.trick.id for p in progress}
    suggested: list[Trick] = []
    for trick in catalog.active_tricks():
        if trick.id in known or trick in suggested:
            continue
        if any(trick.family == done.family and trick.level == done.level + 1 for done in landed):
            suggested.append(trick)
    return suggested[:limit]


def set_sharing(fan: User, shared: bool) -> None:
    if shared:
        guardians.check_sharing_allowed(fan)
    fan.progress_shared_with_players = bool(shared)
    db.session.commit()
