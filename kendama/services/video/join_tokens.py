"""Meeting tokens already issued, reused for the same participant's next join of the same call.

A meeting token is a signed grant: this user, in this room, with these properties (owner or not,
recorded or not, the name shown), from `not_before` until `expires`. Everyone who joins asks for
one, and people join again and again (a reload, a dropped connection, a second device), so asking
the provider every time costs an HTTP call per join for a token equal to the one already issued.

The rules that keep a reused token right and private:

- The key is everything that decides the token: the session, its schedule (ics_sequence) and room,
  the user and their role, the name shown, whether it records, the window, and the settings that
  choose the provider and the database. Anything that changes a token (consent, a reschedule, a
  new display name, another provider key) changes the key, so an old token is never read again;
  nothing needs invalidating.
- A token is a credential. The key is an HMAC under SECRET_KEY, so it names no user or room and
  cannot be computed by anyone without the secret; it is only looked up after the service has
  checked that the caller is that participant, inside the window. Tokens are never logged.
- A stored token disappears `MARGIN` before it expires, so a reused one is always still valid.
- With Redis configured, every process shares the tokens; without it they live in this process.
  Redis being unreachable is never an error: the caller asks the provider instead.
- A process keeps its own copy of each token it stored or found in Redis, for as long as Redis
  keeps it: a key never changes meaning, so the copy is as good as the original and the next
  join in that process needs no round trip.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

EXTENSION = "kendama.join_tokens"
KEY_PREFIX = "kendama:join-token"
MARGIN = timedelta(seconds=60)
# Settings that choose which provider (and which key of it) issues tokens, and which database the
# session ids belong to: a token is only ever reused under the same ones.
ORIGIN_SETTINGS = ("SQLALCHEMY_DATABASE_URI", "DAILY_API_URL", "DAILY_API_KEY", "VIDEO_SANDBOX_URL", "BASE_URL")


@dataclass(frozen=True)
class TokenRequest:
    """Everything a meeting token is made from; equal requests may share one token."""

    session_id: int
    ics_sequence: int
    room_name: str
    user_id: int
    user_name: str
    is_owner: bool
    record: bool
    not_before: datetime
    expires: datetime


class LocalStore:
    """Tokens in this process (no Redis configured)."""

    MAX_ENTRIES = 10_000

    def __init__(self):
        self._entries: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, ttl: int) -> str | None:
        """The token under `key`; `ttl` is not needed, as an entry here knows when it expires."""
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def set(self, key: str, token: str, ttl: int) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries = {k: entry for k, entry in self._entries.items() if entry[0] > now}
                if len(self._entries) >= self.MAX_ENTRIES:
                    self._entries.clear()  # a miss only costs one request to the provider
            self._entries[key] = (now + ttl, token)


class RedisStore:
    """Tokens in Redis, shared by every process of the app, with this process's copies in front."""

    def __init__(self, redis: Redis, prefix: str = KEY_PREFIX):
        self.redis = redis
        self.prefix = prefix
        self.copies = LocalStore()

    def get(self, key: str, ttl: int) -> str | None:
        """The token under `key`; one found in Redis is copied here for `ttl` seconds."""
        token = self.copies.get(key, ttl)
        if token is None:
            value = self.redis.get(f"{self.prefix}:{key}")
            if value is None:
                return None
            token = value.decode()
            self.copies.set(key, token, ttl)
        return token

    def set(self, key: str, token: str, ttl: int) -> None:
        self.redis.set(f"{self.prefix}:{key}", token, ex=ttl)
        self.copies.set(key, token, ttl)


def _store() -> LocalStore | RedisStore:
    """The app's store, made on first use: Redis when REDIS_URL is set, else this process."""
    extensions = current_app.extensions
    store = extensions.get(EXTENSION)
    if store is None:
        url = current_app.config.get("REDIS_URL")
        # Short timeouts: a slow Redis must not cost a join more than asking the provider would.
        made = RedisStore(Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)) if url else LocalStore()
        store = extensions.setdefault(EXTENSION, made)
    return store


def _key(request: TokenRequest) -> str:
    config = current_app.config
    origin = tuple(config.get(name) or "" for name in ORIGIN_SETTINGS)
    material = repr((origin, request)).encode()  # the dataclass repr names every field
    return hmac.new(config["SECRET_KEY"].encode(), material, hashlib.sha256).hexdigest()


def _ttl(request: TokenRequest, now: datetime) -> int:
    """Seconds a token for `request` may still be kept: until `MARGIN` before it expires."""
    return int((request.expires - MARGIN - now).total_seconds())


def cached(request: TokenRequest, now: datetime) -> str | None:
    """The token issued earlier for exactly this request, if it is still stored."""
    ttl = _ttl(request, now)
    if ttl <= 0:
        return None
    try:
        return _store().get(_key(request), ttl)
    except RedisError as exc:
        log.warning("join token cache unreachable; asking the video provider: %s", exc)
        return None


def remember(request: TokenRequest, token: str, now: datetime) -> None:
    """Keep a token just issued for `request`, until `MARGIN` before it expires."""
    ttl = _ttl(request, now)
    if ttl <= 0:
        return
    try:
        _store().set(_key(request), token, ttl)
    except RedisError as exc:
        log.warning("join token cache unreachable; token not kept: %s", exc)
