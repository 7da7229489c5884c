"""Handing jobs over: by dotted name, after the transaction that asked for them commits.

With Redis reachable a job goes to RQ (which stores it by that same name); otherwise (the embedded
default, or Redis down at start) it runs inline once the request's response is ready. Anything
that must not be lost is a database row before its job is handed over, so a dropped job is found
again by a periodic sweep.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

log = logging.getLogger(__name__)

PendingJob = tuple[str, tuple[Any, ...]]


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
    return current_app.extensions.get("kendama.queue")


def run_now(name: str, *args: Any) -> None:
    """Run the job called `name` ("package.module.function") in this process."""
    module, _, function = name.rpartition(".")
    getattr(importlib.import_module(module), function)(*args)


def enqueue(name: str, *args: Any) -> None:
    """Run the job `name` with `args` now: on RQ when there is a queue, else inline."""
    queue = default_queue()
    if queue is None:
        run_now(name, *args)
        return
    try:
        # The request id travels with the job so its logs can be tied to the request.
        queue.enqueue(name, *args, meta={"request_id": g.get("request_id") if has_app_context() else None})
    except Exception:  # Redis went away: the work is in the database and the sweep retries it
        log.warning("could not enqueue %s%r; the sweep will pick it up", name, args, exc_info=True)


def after_commit(name: str, *args: Any) -> None:
    """Enqueue the job `name` with `args` once the current transaction commits (dropped on rollback)."""
    db.session.info.setdefault("jobs_pending", []).append((name, args))


def _on_commit(session: Session) -> None:
    pending: list[PendingJob] = session.info.pop("jobs_pending", [])
    if not pending:
        return
    # No SQL may run inside this event, so the jobs wait for the end of the request (or for
    # dispatch_committed() outside a request).
    if has_request_context():
        g.setdefault("jobs_ready", []).extend(pending)
    else:
        session.info.setdefault("jobs_ready", []).extend(pending)


def _on_rollback(session: Session, _previous_transaction=None) -> None:
    session.info.pop("jobs_pending", None)


event.listen(Session, "after_commit", _on_commit)
event.listen(Session, "after_soft_rollback", _on_rollback)


def dispatch_committed() -> None:
    """Enqueue the jobs of transactions that have committed (called outside the commit event)."""
    ready: list[PendingJob] = []
    if has_request_context():
        ready.extend(g.pop("jobs_ready", []))
    ready.extend(db.session().info.pop("jobs_ready", []))
    for name, args in ready:
        enqueue(name, *args)


def init_app(app: Flask) -> None:
    """Decide at start whether Redis is reachable (inline when it is not), and dispatch what each
    request committed once its response is ready."""
    with app.app_context():
        connection = redis_connection()
    if connection is not None and not app.config.get("JOBS_INLINE"):
        try:
            connection.ping()
        except RedisError:
            log.warning("REDIS_URL is set but Redis is unreachable; jobs will run inline")
        else:
            app.extensions["kendama.queue"] = Queue(app.config["RQ_QUEUE"], connection=connection)

    @app.after_request
    def _dispatch(response):
        if g.get("jobs_ready"):
            try:
                dispatch_committed()
            except Exception:  # never fail a request whose work is already committed
                current_app.logger.exception("dispatching jobs failed; the sweep will retry")
        return response
