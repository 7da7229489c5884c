"""The meeting-token stores on their own: which store the app uses, expiry to the second, the bound
on a process's entries, the last moment a token is kept or reused, and what makes a key differ."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from kendama.services.video import join_tokens

SHARED_REDIS = "redis://127.0.0.1:6379/0"
EXPIRES = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)
REQUEST = join_tokens.TokenRequest(
    session_id=7,
    ics_sequence=0,
    room_name="kendama-7-0",
    user_id=3,
    user_name="Fan",
    is_owner=False,
    record=False,
    not_before=EXPIRES - timedelta(minutes=40),
    expires=EXPIRES,
)
LAST_KEPT = EXPIRES - join_tokens.MARGIN  # from this moment on, a token is neither kept nor reused


class Clock:
    def __init__(self, at: float = 1000.0):
        self.at = at

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def clock(monkeypatch):
    """time.monotonic as the stores read it, moved by the test."""
    fake = Clock()
    monkeypatch.setattr(join_tokens.time, "monotonic", fake)
    return fake


class Recording:
    """A store that keeps what it is given and says what it was asked."""

    def __init__(self):
        self.sets: list[tuple[str, str, int]] = []
        self.gets: list[tuple[str, int]] = []

    def get(self, key, ttl):
        self.gets.append((key, ttl))
        return next((token for k, token, _ in self.sets if k == key), None)

    def set(self, key, token, ttl):
        self.sets.append((key, token, ttl))


@pytest.fixture
def recording(app, monkeypatch):
    store = Recording()
    monkeypatch.setitem(app.extensions, join_tokens.EXTENSION, store)
    return store


# --- Which store ----------------------------------------------------------------------------------


def test_without_redis_the_app_keeps_one_store_of_its_own(app, monkeypatch):
    monkeypatch.delitem(app.extensions, join_tokens.EXTENSION, raising=False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    store = join_tokens._store()
    assert type(store) is join_tokens.LocalStore
    assert join_tokens._store() is store and app.extensions[join_tokens.EXTENSION] is store
    join_tokens.remember(REQUEST, "tok", LAST_KEPT - timedelta(minutes=5))
    assert join_tokens.cached(REQUEST, LAST_KEPT - timedelta(minutes=5)) == "tok"  # the same store both times


def test_with_redis_configured_the_store_is_redis_with_short_timeouts(app, monkeypatch):
    monkeypatch.delitem(app.extensions, join_tokens.EXTENSION, raising=False)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/5")
    store = join_tokens._store()
    assert type(store) is join_tokens.RedisStore and join_tokens._store() is store
    settings = store.redis.connection_pool.connection_kwargs
    assert (settings["host"], settings["port"], settings["db"]) == ("127.0.0.1", 6379, 5)
    assert (settings["socket_connect_timeout"], settings["socket_timeout"]) == (0.5, 0.5)


def test_redis_keys_carry_the_kendama_prefix():
    redis = Redis.from_url(SHARED_REDIS)
    store = join_tokens.RedisStore(redis)
    key = f"test-{id(store)}"
    store.set(key, "tok", 5)
    try:
        assert redis.get(f"kendama:join-token:{key}") == b"tok"
    finally:
        redis.delete(f"kendama:join-token:{key}")


# --- A process's own entries ----------------------------------------------------------------------


def test_a_local_entry_lives_exactly_its_ttl(clock):
    store = join_tokens.LocalStore()
    store.set("k", "tok", 10)
    clock.at += 9.999
    assert store.get("k", 1) == "tok"
    clock.at += 0.001
    assert store.get("k", 1) is None
    assert store.get("missing", 1) is None


def test_a_full_store_first_drops_what_expired(clock, monkeypatch):
    monkeypatch.setattr(join_tokens.LocalStore, "MAX_ENTRIES", 3)
    store = join_tokens.LocalStore()
    store.set("gone", "t1", 5)
    store.set("ends-now", "t2", 10)
    store.set("lives", "t3", 100)
    clock.at += 10
    store.set("new", "t4", 100)
    assert store._entries.keys() == {"lives", "new"}
    assert (store.get("lives", 1), store.get("new", 1)) == ("t3", "t4")


def test_a_store_full_of_live_entries_starts_again(clock, monkeypatch):
    monkeypatch.setattr(join_tokens.LocalStore, "MAX_ENTRIES", 2)
    store = join_tokens.LocalStore()
    store.set("a", "t1", 100)
    store.set("b", "t2", 100)
    store.set("c", "t3", 100)  # a miss only costs one request to the provider
    assert store._entries.keys() == {"c"}
    store.set("d", "t4", 100)  # below the bound again: nothing is dropped
    assert store._entries.keys() == {"c", "d"}


# --- The last moment ------------------------------------------------------------------------------


def test_a_token_is_kept_until_its_last_second_and_never_with_none_left(recording):
    join_tokens.remember(REQUEST, "late", LAST_KEPT - timedelta(seconds=1))
    assert [ttl for _, _, ttl in recording.sets] == [1]
    join_tokens.remember(REQUEST, "too-late", LAST_KEPT)
    join_tokens.remember(REQUEST, "too-late", LAST_KEPT + timedelta(seconds=5))
    assert [token for _, token, _ in recording.sets] == ["late"]


def test_a_kept_token_is_reused_until_its_last_second_and_then_never(recording):
    join_tokens.remember(REQUEST, "tok", LAST_KEPT - timedelta(minutes=10))
    assert join_tokens.cached(REQUEST, LAST_KEPT - timedelta(seconds=1)) == "tok"
    assert recording.gets[-1][1] == 1
    assert join_tokens.cached(REQUEST, LAST_KEPT) is None
    assert join_tokens.cached(REQUEST, LAST_KEPT + timedelta(seconds=1)) is None
    assert len(recording.gets) == 1  # the store is not even asked once no time is left


# --- Keys -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", join_tokens.ORIGIN_SETTINGS)
def test_another_provider_key_or_database_gives_another_key(app, monkeypatch, setting):
    before = join_tokens._key(REQUEST)
    monkeypatch.setitem(app.config, setting, "https://elsewhere.example/other")
    assert join_tokens._key(REQUEST) != before


def test_an_unset_setting_and_an_empty_one_give_the_same_key(app, monkeypatch):
    monkeypatch.setitem(app.config, "DAILY_API_KEY", None)
    unset = join_tokens._key(REQUEST)
    monkeypatch.setitem(app.config, "DAILY_API_KEY", "")
    assert join_tokens._key(REQUEST) == unset


# --- Redis unreachable ----------------------------------------------------------------------------


class Unreachable:
    def get(self, *_):
        raise RedisConnectionError("Connection refused by 127.0.0.1:6390")

    def set(self, *_):
        raise RedisConnectionError("Connection refused by 127.0.0.1:6390")


def test_redis_unreachable_is_logged_with_its_reason(app, monkeypatch, caplog):
    monkeypatch.setitem(app.extensions, join_tokens.EXTENSION, Unreachable())
    now = LAST_KEPT - timedelta(minutes=1)
    with caplog.at_level(logging.WARNING, logger=join_tokens.log.name):
        assert join_tokens.cached(REQUEST, now) is None
        join_tokens.remember(REQUEST, "secret-token", now)
    assert [record.getMessage() for record in caplog.records] == [
        "join token cache unreachable; asking the video provider: Connection refused by 127.0.0.1:6390",
        "join token cache unreachable; token not kept: Connection refused by 127.0.0.1:6390",
    ]
