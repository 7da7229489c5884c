"""Fixtures shared by the integration tests."""

from __future__ import annotations

import uuid

import pytest
from redis import Redis

from kendama.services.booking import slot_cache

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["local", "redis"])
def cache(request, app):
    """The cache switched on for one test: in this process, or in Redis under a key prefix of its own."""
    if request.param == "local":
        store = slot_cache.LocalStore(ttl=30)
    else:
        store = slot_cache.RedisStore(Redis.from_url(REDIS_URL), f"kendama-test:{uuid.uuid4().hex}", ttl=30)
    app.extensions[slot_cache.EXTENSION] = store
    yield store
    del app.extensions[slot_cache.EXTENSION]
    if isinstance(store, slot_cache.RedisStore):
        store.redis.delete(*store.redis.keys(f"{store.prefix}:*") or ["-"])
