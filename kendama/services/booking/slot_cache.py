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
- Composites. A value built from other cached values (a rendered page fragment, say) is fresh
  only as long as the values it read: `collect_freshness` reports the earliest moment any of
  them stops being right, the time-to-live included, so the composite is stored no longer.
  Values that depend on every listed player (the discovery listing) are stored under the
  listing version, which moves whenever any player's version moves.
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
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import (
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
_LISTING = -1  # the "player id" whose version moves whenever any player's version moves
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


def touch_everything() -> None:
    """Mark every player's cached values as changed by the open transaction: for a change that
    any cached page may show (the trick catalog, which the listing's filter and profiles name)."""
    touch([_EPOCH])


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

    def lookup(self, wanted: list[tuple[int, str]]) -> list[tuple[str, bytes | None]]:
        """For each (player id, name), the key of its entry under the current versions, and the entry."""
        now = time.monotonic()
        epoch = self._versions.get(_EPOCH, 0)
        found = []
        for pid, name in wanted:
            key = f"{pid}:{self._versions.get(pid, 0)}.{epoch}:{name}"
            entry = self._entries.get(key)
            found.append((key, entry[1] if entry is not None and entry[0] > now else None))
        return found

    def bump(self, player_ids: Iterable[int]) -> None:
        with self._lock:
            for pid in {*player_ids, _LISTING}:
                self._versions[pid] = self._versions.get(pid, 0) + 1

    def set_many(self, items: dict[str, bytes]) -> None:
        expires = time.monotonic() + self.ttl
        with self._lock:
            if len(self._entries) + len(items) > self.MAX_ENTRIES:
                self._entries.clear()  # old versions are never read again; start afresh
            self._entries.update((key, (expires, value)) for key, value in items.items())


# One round trip for a lookup: the versions are read and the entry keys built inside Redis.
# KEYS: the epoch's version key, then one per player. ARGV: triples of (index into KEYS of the
# entry's player, the entry key's head up to the version, its tail after the epoch).
# Answers key, value, key, value... (a missing value is nil).
_LOOKUP_SCRIPT = """
local versions = redis.call('MGET', unpack(KEYS))
local epoch = versions[1] or '0'
local found = {}
for i = 1, #ARGV, 3 do
  local key = ARGV[i + 1] .. (versions[tonumber(ARGV[i])] or '0') .. '.' .. epoch .. ARGV[i + 2]
  table.insert(found, key)
  table.insert(found, redis.call('GET', key))
end
return found
"""


class RedisStore:
    """Versions and answers in Redis, shared by every process of the app."""

    def __init__(self, redis: Redis, prefix: str, ttl: int):
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl
        self._lookup = redis.register_script(_LOOKUP_SCRIPT)

    def _version_key(self, player_id: int) -> str:
        return f"{self.prefix}:v:{player_id}"

    def lookup(self, wanted: list[tuple[int, str]]) -> list[tuple[str, bytes | None]]:
        """For each (player id, name), the key of its entry under the current versions, and the entry."""
        players = list(dict.fromkeys(pid for pid, _ in wanted))
        position = {pid: index for index, pid in enumerate(players, start=2)}  # KEYS[1] is the epoch's
        args: list[str | int] = []
        for pid, name in wanted:
            args += [position[pid], f"{self.prefix}:entry:{pid}:", f":{name}"]
        flat = self._lookup(keys=[self._version_key(_EPOCH), *map(self._version_key, players)], args=args)
        return [(flat[i].decode(), flat[i + 1]) for i in range(0, len(flat), 2)]

    def bump(self, player_ids: Iterable[int]) -> None:
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for pid in {*player_ids, _LISTING}:
                    pipe.incr(self._version_key(pid))
                pipe.execute()
        except RedisError:
            log.warning("could not move slot cache versions; answers expire within %s s", self.ttl, exc_info=True)

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


def remember_listing(name: str, params: Hashable, compute: Callable[[], Computed], *, now: datetime) -> Any:
    """A value that depends on every listed player (e.g. a page of the listing): any change recomputes it."""
    return remember(_LISTING, name, params, compute, now=now)


class Freshness:
    """The earliest moment a value read inside `collect_freshness` stops being right (None: not yet bounded)."""

    def __init__(self) -> None:
        self.until: datetime | None = None

    def bound(self, until: datetime | None) -> None:
        if until is not None and (self.until is None or until < self.until):
            self.until = until


_collectors: ContextVar[tuple[Freshness, ...]] = ContextVar("slot_cache_collectors", default=())


@contextmanager
def collect_freshness() -> Iterator[Freshness]:
    """Track how long the cached values read inside the block stay right, for a composite built from them."""
    freshness = Freshness()
    token = _collectors.set((*_collectors.get(), freshness))
    try:
        yield freshness
    finally:
        _collectors.reset(token)


def _report(until: datetime | None) -> None:
    for freshness in _collectors.get():
        freshness.bound(until)


def _remember(
    wanted: dict[Hashable, tuple[int, str]], compute: Callable[[list], dict[Hashable, Computed]], now: datetime
) -> dict[Hashable, Any]:
    store = current_app.extensions.get(EXTENSION) if wanted else None
    if store is None:
        result = {}
        for item, (value, fresh_until) in compute(list(wanted)).items():
            _report(fresh_until)
            result[item] = value
        return result
    # No session yet in this request or thread: nothing here has changed (and none is made to ask).
    changed_here = db.session().info.get(_TOUCHED, ()) if db.session.registry.has() else ()
    cacheable = {item: spec for item, spec in wanted.items() if not _changed(spec[0], changed_here)}
    result: dict[Hashable, Any] = {}
    keys: dict[Hashable, str] = {}
    try:
        if cacheable:
            found = store.lookup(list(cacheable.values()))
            for item, (key, raw) in zip(cacheable, found, strict=True):
                keys[item] = key
                value, until = _fresh(raw, now)
                if value is not _MISSING:
                    _report(until)
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
        # Stored no longer than the time-to-live: composites built on it learn that bound too.
        until = _earliest(fresh_until, now + timedelta(seconds=store.ttl))
        _report(until)
        if item in keys:
            fresh[keys[item]] = _encode(value, until)
    if fresh:
        try:
            store.set_many(fresh)
        except RedisError:
            log.warning("slot cache unreachable; answer not stored", exc_info=True)
    return result


def _changed(player_id: int, changed_here) -> bool:
    """Whether the open transaction changed what this player's (or the listing's) values depend on."""
    if not changed_here:
        return False
    return player_id == _LISTING or player_id in changed_here or _EPOCH in changed_here


def _earliest(first: datetime | None, second: datetime) -> datetime:
    return second if first is None else min(first, second)


_MISSING = object()


def _encode(value: Any, fresh_until: datetime) -> bytes:
    return repr(fresh_until.timestamp()).encode() + b"\n" + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _fresh(raw: bytes | None, now: datetime) -> tuple[Any, datetime | None]:
    """The stored value and its fresh-until moment, or _MISSING when absent or past that moment."""
    if raw is None:
        return _MISSING, None
    header, _, payload = raw.partition(b"\n")
    until = float(header)
    if now.timestamp() >= until:
        return _MISSING, None
    # Only this app writes these entries (RQ already trusts this Redis with pickled jobs).
    return pickle.loads(payload), datetime.fromtimestamp(until, UTC)  # noqa: S301
