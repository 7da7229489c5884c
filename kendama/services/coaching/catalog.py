"""The trick catalog: searching it by any of a trick's names, and the administrators' changes to
it (add, rename, merge a duplicate into another, retire)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update

from ...extensions import db
from ...models import CoachNote, PlayerTrick, ProgressMark, SessionGoal, Trick, TrickFamily, User, utcnow
from ..access import require_admin, require_player
from ..booking import slot_cache
from ..errors import Conflict, InvalidInput, NotFound

FAMILY_LABELS = {
    TrickFamily.CUPS: "Cups",
    TrickFamily.SPIKE: "Spike",
    TrickFamily.AIRPLANE_LIGHTHOUSE: "Airplane and lighthouse",
    TrickFamily.JUGGLES: "Juggles",
    TrickFamily.BALANCE: "Balance",
}
MAX_NAME = 80
NOT_IN_CATALOG = "Choose a trick from the catalog."


def _folded(text: str) -> str:
    return " ".join(text.casefold().replace("-", " ").split())


def names_of(trick: Trick) -> list[str]:
    return [trick.name, *trick.aliases]


def active_tricks() -> list[Trick]:
    """Every trick on offer, by family, level and name (what pickers list)."""
    query = select(Trick).where(Trick.retired_at.is_(None)).order_by(Trick.family, Trick.level, Trick.name)
    return list(db.session.scalars(query))


def search(q: str = "", *, level: int | None = None, family: str | None = None) -> list[Trick]:
    """Active tricks whose name or an also-known-as name contains `q` (case, spaces and hyphens
    do not matter), at `level` and in `family` when given; exact name matches first."""
    wanted = _folded(q or "")
    found = [
        trick
        for trick in active_tricks()
        if (level is None or trick.level == level)
        and (family is None or trick.family == family)
        and _goes_by(trick, wanted)
    ]
    return sorted(found, key=lambda trick: (not any(_folded(n) == wanted for n in names_of(trick)), trick.level))


def _goes_by(trick: Trick, wanted: str) -> bool:
    """Whether one of the trick's names contains `wanted` (already folded)."""
    return any(wanted in _folded(name) for name in names_of(trick))


@dataclass(frozen=True)
class CatalogListing:
    """The whole catalog as administrators look after it."""

    active: dict[TrickFamily, list[Trick]]  # families in FAMILY_LABELS order, only those with tricks
    retired: list[Trick]  # retired by hand, not merged
    merged: list[tuple[Trick, Trick]]  # a duplicate and the trick it was merged into
    offered: list[Trick]  # every active trick, whatever was searched for: what a merge may go into
    by_id: dict[int, Trick]  # every trick, retired and merged too

    def trick(self, trick_id: int) -> Trick:
        """The trick with this id, retired or not; NotFound when there is none."""
        if trick_id not in self.by_id:
            raise NotFound("No such trick.")
        return self.by_id[trick_id]


def listing(q: str = "") -> CatalogListing:
    """Every trick, retired and merged ones included, by family, level and name; with `q`, the
    lists hold only the tricks one of whose names contains it (as search() matches)."""
    everything = list(db.session.scalars(select(Trick).order_by(Trick.level, Trick.name)))
    families = list(FAMILY_LABELS)
    offered = sorted((trick for trick in everything if trick.is_active), key=lambda t: families.index(t.family))
    wanted = _folded(q or "")
    active: dict[TrickFamily, list[Trick]] = {}
    for trick in offered:
        if _goes_by(trick, wanted):
            active.setdefault(TrickFamily(trick.family), []).append(trick)
    by_id = {trick.id: trick for trick in everything}
    put_aside = [trick for trick in everything if not trick.is_active and _goes_by(trick, wanted)]
    return CatalogListing(
        active=active,
        retired=[trick for trick in put_aside if trick.merged_into_id is None],
        merged=[(trick, by_id[trick.merged_into_id]) for trick in put_aside if trick.merged_into_id is not None],
        offered=offered,
        by_id=by_id,
    )


def active_by_ids(trick_ids: Iterable[int], *, field: str) -> list[Trick]:
    """The active tricks with these ids, in the order given; InvalidInput on `field` otherwise."""
    ids = list(trick_ids)
    if not ids:
        return []  # most bookings pick no goal: nothing to ask the database
    found = {t.id: t for t in db.session.scalars(select(Trick).where(Trick.id.in_(ids), Trick.retired_at.is_(None)))}
    if any(trick_id not in found for trick_id in ids):
        raise InvalidInput({field: NOT_IN_CATALOG})
    return [found[trick_id] for trick_id in ids]


# --- administrators ---------------------------------------------------------------------------


def _checked_details(name: str, aliases: Iterable[str], level: int, family: str) -> tuple[str, list[str]]:
    name = " ".join((name or "").split())
    problems = {}
    if not name or len(name) > MAX_NAME:
        problems["name"] = f"Give the trick a name of at most {MAX_NAME} characters."
    if not isinstance(level, int) or not 1 <= level <= 10:
        problems["level"] = "Choose a level from 1 to 10."
    if family not in set(TrickFamily):
        problems["family"] = "Choose one of the families."
    if problems:
        raise InvalidInput(problems)
    kept = []
    for alias in aliases:
        alias = " ".join(alias.split())[:MAX_NAME]
        if alias and _folded(alias) != _folded(name) and _folded(alias) not in map(_folded, kept):
            kept.append(alias)
    return name, kept


def _refuse_taken_name(name: str, except_id: int | None = None) -> None:
    for trick in db.session.scalars(select(Trick)):
        if trick.id != except_id and _folded(trick.name) == _folded(name):
            raise Conflict(
                f"There is already a trick called {trick.name}.", code="trick_exists", fields={"name": "Taken."}
            )


def add_trick(admin: User, name: str, level: int, family: str, aliases: Iterable[str] = ()) -> Trick:
    require_admin(admin)
    name, aliases = _checked_details(name, aliases, level, family)
    _refuse_taken_name(name)
    trick = Trick(name=name, aliases=aliases, level=level, family=family)
    db.session.add(trick)
    slot_cache.touch_everything()  # cached listings and profiles name tricks
    db.session.commit()
    return trick


def _trick(trick_id: int) -> Trick:
    trick = db.session.get(Trick, trick_id)
    if trick is None:
        raise NotFound("No such trick.")
    return trick


def rename_trick(admin: User, trick_id: int, name: str) -> Trick:
    """A new name; the old one stays findable as an also-known-as name."""
    require_admin(admin)
    trick = _trick(trick_id)
    old = trick.name
    name, aliases = _checked_details(name, [old, *trick.aliases], trick.level, trick.family)
    _refuse_taken_name(name, except_id=trick.id)
    trick.name, trick.aliases = name, aliases
    slot_cache.touch_everything()  # cached listings and profiles name tricks
    db.session.commit()
    return trick


def retire_trick(admin: User, trick_id: int) -> Trick:
    """Offered no more; what sessions, notes and progress say about it stays."""
    require_admin(admin)
    trick = _trick(trick_id)
    trick.retired_at = trick.retired_at or utcnow()
    slot_cache.touch_everything()  # cached listings and profiles name tricks
    db.session.commit()
    return trick


def merge_tricks(admin: User, duplicate_id: int, into_id: int) -> Trick:
    """Fold a duplicate into the trick it repeats: its names become also-known-as names, and
    what pointed at it (players' lists, goals, notes, progress) points at the other."""
    require_admin(admin)
    if duplicate_id == into_id:
        raise InvalidInput({"into": "Choose another trick to merge into."})
    duplicate, kept = _trick(duplicate_id), _trick(into_id)
    if kept.retired_at is not None:
        raise InvalidInput({"into": "Merge into a trick that is still offered."})
    _move_references(duplicate.id, kept.id)
    _, kept.aliases = _checked_details(kept.name, [*kept.aliases, *names_of(duplicate)], kept.level, kept.family)
    duplicate.retired_at = duplicate.retired_at or utcnow()
    duplicate.merged_into_id = kept.id
    slot_cache.touch_everything()  # cached listings and profiles name tricks
    db.session.commit()
    return kept


def _move_references(old: int, new: int) -> None:
    """Repoint rows at `new`, dropping those that would then repeat a row already there."""
    has_new = select(PlayerTrick.player_id).where(PlayerTrick.trick_id == new)
    db.session.execute(
        PlayerTrick.__table__.delete().where(PlayerTrick.trick_id == old, PlayerTrick.player_id.in_(has_new))
    )
    db.session.execute(update(PlayerTrick).where(PlayerTrick.trick_id == old).values(trick_id=new))
    goal_sessions = select(SessionGoal.session_id).where(SessionGoal.trick_id == new)
    db.session.execute(
        SessionGoal.__table__.delete().where(SessionGoal.trick_id == old, SessionGoal.session_id.in_(goal_sessions))
    )
    db.session.execute(update(SessionGoal).where(SessionGoal.trick_id == old).values(trick_id=new))
    marked = select(ProgressMark.session_id).where(ProgressMark.trick_id == new)
    db.session.execute(
        ProgressMark.__table__.delete().where(ProgressMark.trick_id == old, ProgressMark.session_id.in_(marked))
    )
    db.session.execute(update(ProgressMark).where(ProgressMark.trick_id == old).values(trick_id=new))
    db.session.execute(update(CoachNote).where(CoachNote.trick_id == old).values(trick_id=new))


# --- what players teach -----------------------------------------------------------------------


def tricks_of(player_id: int) -> list[Trick]:
    """The active tricks a player lists, by family and level."""
    query = (
        select(Trick)
        .join(PlayerTrick, PlayerTrick.trick_id == Trick.id)
        .where(PlayerTrick.player_id == player_id, Trick.retired_at.is_(None))
        .order_by(Trick.family, Trick.level, Trick.name)
    )
    return list(db.session.scalars(query))


def set_player_tricks(player: User, trick_ids: Iterable[int]) -> list[Trick]:
    """Replace the tricks a player teaches (catalog tricks only; 422 on `tricks` otherwise)."""
    require_player(player)
    tricks = active_by_ids(list(dict.fromkeys(trick_ids)), field="tricks")
    db.session.execute(PlayerTrick.__table__.delete().where(PlayerTrick.player_id == player.id))
    db.session.add_all(PlayerTrick(player_id=player.id, trick_id=trick.id) for trick in tricks)
    slot_cache.touch([player.id])  # the cached profile page and listing show them
    db.session.commit()
    return tricks_of(player.id)
