"""Background jobs and the one helper that enqueues them after a commit.

Jobs take primitive ids and call services. With Redis reachable they go to RQ; otherwise
(the embedded default, or Redis down) they run inline at the end of the request. Either way,
anything that must not be lost is already a database row, and the sweep re-runs what was dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def _queue():
    """The RQ queue, or None when jobs must run inline."""
    from . import queueing

    return queueing.default_queue()


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `func(*args)` as a job: on RQ when possible, else inline right now."""
    queue = _queue()
    if queue is not None:
        try:
            queue.enqueue(func, *args, **kwargs)
            return
        except Exception:  # Redis went away: the sweep will find the work later
            log.warning("could not enqueue %s; the sweep will retry", func.__name__, exc_info=True)
            return
    func(*args, **kwargs)


def _after_commit(session: Session) -> None:
    pending = session.info.pop("outbox_pending", None)
    if not pending or not has_app_context():
        return
    ids = [n.id for n in pending if n.id is not None]
    if has_request_context():
        g.setdefault("outbox_ready", []).extend(ids)
    else:
        session.info.setdefault("outbox_ready", []).extend(ids)


def _after_rollback(session: Session) -> None:
    session.info.pop("outbox_pending", None)


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", lambda session, previous: _after_rollback(session))


def dispatch_ready(session: Session | None = None) -> None:
    """Hand the notifications committed so far to the job runner (called after the commit)."""
    from .extensions import db

    ids: list[int] = []
    if has_request_context():
        ids.extend(g.pop("outbox_ready", []))
    session = session or db.session()
    ids.extend(session.info.pop("outbox_ready", []))
    for notification_id in ids:
        enqueue(send_notification, notification_id)


def send_notification(notification_id: int) -> None:
    """Job: deliver one outbox row (at most once)."""
    from .services import delivery

    with _app_context():
        delivery.deliver(notification_id)


def _app_context():
    """The current app context, or a new one when running in a worker."""
    if has_app_context():
        from contextlib import nullcontext

        return nullcontext()
    from . import create_app

    return create_app().app_context()


def init_app(app) -> None:
    """Dispatch what a request committed once the response is ready."""

    @app.after_request
    def _dispatch(response):
        if g.get("outbox_ready"):
            try:
                dispatch_ready()
            except Exception:  # never fail a request that already committed
                current_app.logger.exception("dispatching the outbox failed; the sweep will retry")
        return response
