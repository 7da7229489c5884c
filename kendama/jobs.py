"""Background jobs, and the one helper that enqueues them after a commit.

Jobs take primitive ids and call services. With Redis reachable they go to RQ; otherwise
(the embedded default, or Redis down at start) they run inline once the request's response is
ready. Anything that must not be lost is already a database row before its job is enqueued, so a
dropped job is found again by the periodic sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from . import dialects

log = logging.getLogger(__name__)

PendingJob = tuple[Callable[..., Any], tuple[Any, ...]]


def enqueue(func: Callable[..., Any], *args: Any) -> None:
    """Run `func(*args)` as a job now: on RQ when there is a queue, else inline."""
    from . import queueing

    queue = queueing.default_queue()
    if queue is None:
        func(*args)
        return
    try:
        # The request id travels with the job so its logs can be tied to the request.
        queue.enqueue(func, *args, meta={"request_id": g.get("request_id") if has_app_context() else None})
    except Exception:  # Redis went away: the work is in the database and the sweep retries it
        log.warning("could not enqueue %s%r; the sweep will pick it up", func.__name__, args, exc_info=True)


def after_commit(func: Callable[..., Any], *args: Any) -> None:
    """Enqueue `func(*args)` once the current transaction commits (dropped on rollback)."""
    from .extensions import db

    db.session.info.setdefault("jobs_pending", []).append((func, args))


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
    from .extensions import db

    ready: list[PendingJob] = []
    if has_request_context():
        ready.extend(g.pop("jobs_ready", []))
    ready.extend(db.session().info.pop("jobs_ready", []))
    for func, args in ready:
        enqueue(func, *args)


_process_app = None


def use_app(app) -> None:
    """Run this process's jobs with `app` (worker.py builds it once, before work horses fork)."""
    global _process_app
    _process_app = app


@contextmanager
def app_context() -> Iterator[None]:
    """Where every job runs: the current app context, or a fresh one of this process's app in a
    worker. Jobs write (dialects.writer), and what their transactions queued after commit is
    dispatched when they finish: outside a request nothing else would (the periodic hold expiry
    lost its Checkout closings that way)."""
    global _process_app
    if has_app_context():
        context = nullcontext()
    else:
        if _process_app is None:  # `rq worker` without worker.py: build the app from the environment
            from . import create_app

            _process_app = create_app()
        context = _process_app.app_context()
    with context, dialects.writer():
        yield
        dispatch_committed()


def send_notification(notification_id: int) -> None:
    """Job: deliver one outbox row; a copy of the job finds the row claimed and does nothing."""
    from .services import delivery

    with app_context():
        delivery.deliver(notification_id)


def sweep_notifications() -> None:
    """Periodic: send what is due (reminders), re-hand rows whose job was lost, reclaim dead sends."""
    from .services import outbox

    with app_context():
        outbox.sweep(lambda notification_id: enqueue(send_notification, notification_id))


def init_app(app) -> None:
    """Dispatch what a request committed once its response is ready; start the dev ticker."""
    from . import scheduling

    scheduling.init_app(app)

    @app.after_request
    def _dispatch(response):
        if g.get("jobs_ready"):
            try:
                dispatch_committed()
            except Exception:  # never fail a request whose work is already committed
                current_app.logger.exception("dispatching jobs failed; the sweep will retry")
        return response


# (job, seconds between runs); areas add their sweeps here. worker.py runs each once per
# interval across all workers (kendama/scheduling.py).
PERIODIC_JOBS: list[tuple[Callable[[], None], int]] = [(sweep_notifications, 60)]


def sync_calendar(player_id: int) -> None:
    """Job: import a player's external calendar into their busy times."""
    from .services import calendar_import

    with app_context():
        calendar_import.sync(player_id)


def refresh_calendars() -> None:
    """Periodic: one sync job per player with an external calendar (a slow one delays no other)."""
    from .services import calendar_import

    with app_context():
        for player_id in calendar_import.players_to_sync():
            enqueue(sync_calendar, player_id)


PERIODIC_JOBS.append((refresh_calendars, 30 * 60))


def expire_booking_holds() -> None:
    """Periodic: cancel unpaid booking holds whose time is up, releasing their slots."""
    from .services import booking

    with app_context():
        booking.expire_holds()  # its Checkouts are closed at Stripe by the jobs this queues


PERIODIC_JOBS.append((expire_booking_holds, 60))


def purge_dead_sign_ins() -> None:
    """Periodic: delete browser sign-ins and API tokens that can never work again (expired or revoked)."""
    from .services import sign_ins

    with app_context():
        sign_ins.purge_dead()


PERIODIC_JOBS.append((purge_dead_sign_ins, 6 * 3600))


def prepare_video_rooms() -> None:
    """Periodic: create the video rooms of sessions starting soon (joining makes one too)."""
    from .services import video

    with app_context():
        video.prepare_rooms()


def finish_video_sessions() -> None:
    """Periodic: sessions in progress whose end has passed are completed."""
    from .services import video

    with app_context():
        video.finish_ended_sessions()


def cleanup_video_rooms() -> None:
    """Periodic: delete the rooms of sessions that are over."""
    from .services import video

    with app_context():
        video.cleanup_rooms()


def sync_session_recordings(session_id: int) -> None:
    """Job: fetch one session's recordings and captions from the video provider."""
    from .services import recordings

    with app_context():
        recordings.sync_session(session_id)


def sync_video_recordings() -> None:
    """Periodic: one sync job per recent recorded session (a missed webhook is caught here)."""
    from .services import recordings

    with app_context():
        for session_id in recordings.sessions_to_sync():
            enqueue(sync_session_recordings, session_id)


def delete_provider_recording(provider_recording_id: str) -> None:
    """Job: delete a recording kept without both consents from the provider's storage."""
    from .services import recordings

    with app_context():
        recordings.delete_at_provider(provider_recording_id)


PERIODIC_JOBS.extend(
    [
        (prepare_video_rooms, 5 * 60),
        (finish_video_sessions, 60),
        (sync_video_recordings, 10 * 60),
        (cleanup_video_rooms, 15 * 60),
    ]
)


def execute_refund(refund_id: int) -> None:
    """Job: carry out one refund at Stripe (idempotent: the row's key goes with every attempt)."""
    from .services import refunds

    with app_context():
        refunds.execute_refund(refund_id)


def retry_refunds() -> None:
    """Periodic: re-run refunds that failed and are due, or whose job was lost."""
    from .services import refunds

    with app_context():
        for refund_id in refunds.due_refund_ids():
            enqueue(execute_refund, refund_id)


def expire_checkouts(session_id: int) -> None:
    """Job: expire a cancelled booking's open Checkouts at Stripe, so they cannot be paid."""
    from .services import payments

    with app_context():
        payments.close_checkouts(session_id)


def reconcile_checkouts() -> None:
    """Periodic: settle Checkouts past their expiry whose webhook never arrived."""
    from .services import payments

    with app_context():
        payments.reconcile_open_checkouts()


def stripe_sandbox_tick() -> None:
    """Periodic, offline sandbox only: expire due Checkouts and (re)send its webhooks."""
    from flask import current_app

    from .integrations.stripe_sandbox import clock

    with app_context():
        clock.tick(current_app._get_current_object())


PERIODIC_JOBS.extend([(retry_refunds, 5 * 60), (reconcile_checkouts, 5 * 60), (stripe_sandbox_tick, 60)])
