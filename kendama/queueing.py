"""Connection to Redis and the RQ queue, decided once per process."""

from __future__ import annotations

import logging

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)


def redis_connection() -> Redis | None:
    """A Redis client for REDIS_URL, or None when none is configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def default_queue() -> Queue | None:
    """The app's queue; None means run jobs inline (no Redis configured, or forced inline)."""
    if current_app.config.get("JOBS_INLINE"):
        return None
    queue = current_app.extensions.get("kendama.queue")
    return queue


def init_app(app) -> None:
    """Decide at start whether Redis is reachable (the contract: inline when it is not)."""
    with app.app_context():
        conn = redis_connection()
    if conn is None or app.config.get("JOBS_INLINE"):
        return
    try:
        conn.ping()
    except RedisError:
        log.warning("REDIS_URL is set but Redis is unreachable; jobs will run inline")
        return
    app.extensions["kendama.queue"] = Queue(app.config["RQ_QUEUE"], connection=conn)
