"""A cache of computed free slots, keyed by each player's schedule version.

Free slots are read on every discovery page, profile and availability request, and computing
them takes several queries and a walk over weeks of windows. This module remembers what was
computed, and the rules that keep it right are these:

- Versions. Every player has a schedule version; a cached answer is stored under the versions of
  the players it depends on (and a global epoch), so once a version moves on, nothing computed
  before can be read again. A version moves on when a transaction that changed anything the
  slots or the listing depend on commits: the player's sessions (created, cancelled, rescheduled,
  expired, confirmed, started, ended), availability, windows, overrides, imported busy times,
  profile, offerings or account. Those changes are found in one place, at flush time (see
  `_track_flush`), whichever service made them; bulk UPDATE/DELETE/INSERT statements on those
  tables, which the ORM does not see row by row, move the global epoch instead when they change
  rows (`_track_bulk`). The version is moved after the commit, never before, so no answer
  computed from the old rows can be stored under the new version.
- Uncommitted changes. A transaction that has changed a player's schedule reads that player's
  slots from the database, not from the cache, until it commits.
- The clock. An answer stays right as time passes only until its earliest slot falls inside the
  minimum notice (`fresh_until`); after that it is computed again. Slots that time frees (an
  unpaid hold running out, the booking window reaching one more day) appear within the short
  time-to-live (SLOT_CACHE_SECONDS); a cached answer errs by offering fewer slots, not more.
- Booking never reads this cache. The booking service checks the slot against the database
  inside its own transaction, and the exclusion constraint guards the rest: a stale answer
  (between a commit and its version bump, or while Redis was unreachable to take the bump) can
  only cost the fan a 409, never a double booking.

With Redis configured, versions and answers live there and every process shares them. Without
Redis (the embedded single-process default) they live in this process; several web processes
without Redis would each see only their own bumps, so such a set-up relies on the time-to-live.
Redis being unreachable is never an error: the answer is computed from the database.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import (
    CalendarBusyTime,
    DateOverride,
    LiveSession,
    Offering,
    Profile,
    SessionAvailability,
    User,
    WeeklyWindow,
)

log = logging.getLogger(__name__)

EXTENSION = "kendama.slot_cache"
_TOUCHED = "slot_cache_touched"  # session.info: player ids changed in the open transaction
_EPOCH = 0  # the "player id" that stands for every player (bulk changes)
_PLAYER_OWNED = (LiveSession, SessionAvailability, WeeklyWindow, DateOverride, CalendarBusyTime, Offering)
_SCHEDULE_TABLES = frozenset(model.__tablename__ for model in (*_PLAYER_OWNED, Profile, User))

Computed = tuple[Any, datetime | None]  # (value, fresh until; None: only the time-to-live bounds it)


def _player_of(instance: object) -> int | None:
    if isinstance(instance, User):
        return instance.id
    if isinstance(instance, Profile):
        return instance.user_id
    if isinstance(instance, _PLAYER_OWNED):
        return instance.player_id
    return None


# --- Where versions move -------------------------------------------------------------------


def touch(player_ids: Iterable[int]) -> None:
    """Mark players' slots as changed by the open transaction (their versions move on commit)."""
    db.session().info.setdefault(_TOUCHED, set()).update(player_ids)


def _track_flush(session: Session, _flush_context) -> None:
    touched = {
        player_id
        for instance in (*session.new, *session.dirty, *session.deleted)
        if (player_id := _player_of(instance)) is not None
    }
    if touched:
        session.info.setdefault(_TOUCHED, set()).update(touched)


def _track_bulk(state) -> Any:
    """Bulk statements on the schedule's tables move the global epoch when they change rows."""
    statement = state.statement
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    table = getattr(statement, "table", None)
    if getattr(table, "name", None) not in _SCHEDULE_TABLES:
        return None
    result = state.invoke_statement()
    # An ORM bulk INSERT (a list of parameter sets) answers with a result that has no rowcount;
    # it adds rows, so it always counts as a change.
    if state.is_insert or result.rowcount:
        state.session.info.setdefault(_TOUCHED, set()).add(_EPOCH)
    return result


def _bump_committed(session: Session) -> None:
    touched = session.info.pop(_TOUCHED, None)
    if touched and has_app_context():
        store = current_app.extensions.get(EXTENSION)
        if store is not None:
            store.bump(touched)


def _forget(session: Session, _previous_transaction=None) -> None:
    session.info.pop(_TOUCHED, None)


event.listen(Session, "after_flush", _track_flush)
event.listen(Session, "do_orm_execute", _track_bulk)
event.listen(Session, "after_commit", _bump_committed)
event.listen(Session, "after_soft_rollback", _forget)


# --- Stores --------------------------------------------------------------------------------


class LocalStore:
    """Versions and answers in this process (no Redis configured)."""

    MAX_ENTRIES = 20_000

    def __init__(self, ttl: int):
        self.ttl = ttl
        self._versions: dict[int, int] = {}
        self._entries: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def versions(self, player_ids: list[int]) -> list[int]:
        return [self._versions.get(pid, 0) for pid in player_ids]

    def entry_key(self, key: str) -> str:
        return key

    def bump(self, player_ids: Iterable[int]) -> None:
        with self._lock:
            for pid in player_ids:
                self._versions[pid] = self._versions.get(pid, 0) + 1

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        now = time.monotonic()
        found = []
        for key in keys:
            entry = self._entries.get(key)
            found.append(entry[1] if entry is not None and entry[0] > now else None)
        return found

    def set_many(self, items: dict[str, bytes]) -> None:
        expires = time.monotonic() + self.ttl
        with self._lock:
            if len(self._entries) + len(items) > self.MAX_ENTRIES:
                self._entries.clear()  # old versions are never read again; start afresh
            self._entries.update((key, (expires, value)) for key, value in items.items())


class RedisStore:
    """Versions and answers in Redis, shared by every process of the app."""

    def __init__(self, redis: Redis, prefix: str, ttl: int):
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl

    def _version_key(self, player_id: int) -> str:
        return f"{self.prefix}:v:{player_id}"

    def entry_key(self, key: str) -> str:
        return f"{self.prefix}:e:{key}"

    def versions(self, player_ids: list[int]) -> list[int]:
        return [int(v or 0) for v in self.redis.mget([self._version_key(pid) for pid in player_ids])]

    def bump(self, player_ids: Iterable[int]) -> None:
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for pid in player_ids:
                    pipe.incr(self._version_key(pid))
                pipe.execute()
        except RedisError:
            log.warning("could not move slot cache versions; answers expire within %s s", self.ttl, exc_info=True)

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        return self.redis.mget(keys)

    def set_many(self, items: dict[str, bytes]) -> None:
        with self.redis.pipeline(transaction=False) as pipe:
            for key, value in items.items():
                pipe.set(key, value, ex=self.ttl)
            pipe.execute()


def init_app(app) -> None:
    """Choose the store: Redis when configured, else this process; SLOT_CACHE_SECONDS=0 turns it off."""
    ttl = app.config["SLOT_CACHE_SECONDS"]
    if ttl <= 0:
        return
    url = app.config.get("REDIS_URL")
    if not url:
        app.extensions[EXTENSION] = LocalStore(ttl)
        return
    # Answers from one database must never be read for another that shares this Redis.
    database = hashlib.sha256(app.config["SQLALCHEMY_DATABASE_URI"].encode()).hexdigest()[:12]
    prefix = app.config.get("SLOT_CACHE_PREFIX") or f"kendama:slots:{database}"
    redis = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    app.extensions[EXTENSION] = RedisStore(redis, prefix, ttl)


# --- Reading through the cache -------------------------------------------------------------


def remember_many(
    name: str,
    params: dict[int, Hashable],
    compute: Callable[[list[int]], dict[int, Computed]],
    *,
    now: datetime,
) -> dict[int, Any]:
    """Each player's value of `name` for their `params[player_id]`, computed by `compute(missing_ids)`.

    `compute` returns each player's value and the moment it stops being right as the clock moves
    (None when only the time-to-live bounds it). Values must pickle.
    """
    wanted = {pid: (pid, f"{name}:{value}") for pid, value in params.items()}
    return _remember(wanted, compute, now)


def remember_parts(
    player_id: int,
    name: str,
    parts: list[Hashable],
    compute: Callable[[list[Hashable]], dict[Hashable, Computed]],
    *,
    now: datetime,
) -> dict[Hashable, Any]:
    """Several values of one player (e.g. one per day), computed by `compute(missing_parts)`."""
    wanted = {part: (player_id, f"{name}:{part}") for part in parts}
    return _remember(wanted, compute, now)


def remember(player_id: int, name: str, params: Hashable, compute: Callable[[], Computed], *, now: datetime) -> Any:
    """One player's value of `name` for `params` (see remember_many)."""
    return remember_many(name, {player_id: params}, lambda _ids: {player_id: compute()}, now=now)[player_id]


def _remember(
    wanted: dict[Hashable, tuple[int, str]], compute: Callable[[list], dict[Hashable, Computed]], now: datetime
) -> dict[Hashable, Any]:
    store = current_app.extensions.get(EXTENSION) if wanted else None
    if store is None:
        return {item: value for item, (value, _) in compute(list(wanted)).items()}
    changed_here = db.session().info.get(_TOUCHED, ())
    cacheable = {
        item: spec for item, spec in wanted.items() if spec[0] not in changed_here and _EPOCH not in changed_here
    }
    result: dict[Hashable, Any] = {}
    keys: dict[Hashable, str] = {}
    try:
        if cacheable:
            players = list({player_id for player_id, _ in cacheable.values()})
            epoch, *numbers = store.versions([_EPOCH, *players])
            version = dict(zip(players, numbers, strict=True))
            keys = {
                item: store.entry_key(f"{pid}:{version[pid]}.{epoch}:{suffix}")
                for item, (pid, suffix) in cacheable.items()
            }
            for item, raw in zip(keys, store.get_many(list(keys.values())), strict=True):
                value = _fresh(raw, now)
                if value is not _MISSING:
                    result[item] = value
    except RedisError:
        log.warning("slot cache unreachable; computing from the database", exc_info=True)
        keys = {}
    missing = [item for item in wanted if item not in result]
    if not missing:
        return result
    fresh = {}
    for item, (value, fresh_until) in compute(missing).items():
        result[item] = value
        if item in keys:
            fresh[keys[item]] = _encode(value, fresh_until)
    if fresh:
        try:
            store.set_many(fresh)
        except RedisError:
            log.warning("slot cache unreachable; answer not stored", exc_info=True)
    return result


_MISSING = object()


def _encode(value: Any, fresh_until: datetime | None) -> bytes:
    header = b"-" if fresh_until is None else repr(fresh_until.timestamp()).encode()
    return header + b"\n" + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _fresh(raw: bytes | None, now: datetime) -> Any:
    """The stored value, or _MISSING when absent or past its fresh-until moment."""
    if raw is None:
        return _MISSING
    header, _, payload = raw.partition(b"\n")
    if header != b"-" and now.timestamp() >= float(header):
        return _MISSING
    # Only this app writes these entries (RQ already trusts this Redis with pickled jobs).
    return pickle.loads(payload)  # noqa: S301
