"""What runs on a clock, how often, and the tickers that run it.

`PERIODIC_JOBS` names each periodic job of kendama/jobs.py with its interval in seconds.

With Redis (worker.py): every worker runs a small ticker thread, and before enqueueing a
periodic job it takes that job's Redis key with SET NX EX <interval>. Only the worker that takes
the key enqueues the job, and the key expires after one interval, so with any number of workers
each periodic job is enqueued once per interval (Redis's clock, not the workers', decides), and
as long as one worker lives. The job itself then runs on whichever worker dequeues it.

Without Redis (the embedded default in development): a daemon thread in the web process runs
the periodic jobs inline, so reminders and hold expiry happen with nothing else running. It is
started on the first request, so CLI commands and tests never start it.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from . import queue as jobs_queue

log = logging.getLogger(__name__)

# (dotted name of the job, seconds between runs)
PERIODIC_JOBS: list[tuple[str, int]] = [
    ("kendama.jobs.sweep_notifications", 60),
    ("kendama.jobs.refresh_calendars", 30 * 60),
    ("kendama.jobs.refresh_caldav", 60),
    ("kendama.jobs.expire_booking_holds", 60),
    ("kendama.jobs.purge_dead_sign_ins", 6 * 3600),
    ("kendama.jobs.prepare_video_rooms", 5 * 60),
    ("kendama.jobs.finish_video_sessions", 60),
    ("kendama.jobs.sync_video_recordings", 10 * 60),
    ("kendama.jobs.cleanup_video_rooms", 15 * 60),
    ("kendama.jobs.retry_refunds", 5 * 60),
    ("kendama.jobs.sweep_orphaned_clips", 30 * 60),
    ("kendama.jobs.settle_no_shows", 10 * 60),
    ("kendama.jobs.run_waitlists", 60),
    ("kendama.jobs.expire_package_credits", 3600),
    ("kendama.jobs.reconcile_checkouts", 5 * 60),
    ("kendama.jobs.stripe_sandbox_tick", 60),
]

TICK_SECONDS = 1.0
# Periodic jobs must finish well inside their interval; this bounds a stuck one.
PERIODIC_JOB_TIMEOUT = 600


def lock_key(queue_name: str, name: str) -> str:
    """The Redis key that says the job `name` has been enqueued for the current interval."""
    return f"kendama:periodic:{queue_name}:{name}"


def enqueue_due(queue: Queue, owner: str) -> list[str]:
    """Enqueue each periodic job whose interval lock this process takes; returns their names."""
    connection: Redis = queue.connection
    enqueued = []
    for name, interval in PERIODIC_JOBS:
        if not connection.set(lock_key(queue.name, name), owner, nx=True, ex=interval):
            continue  # another worker (or this one) enqueued it within the interval
        queue.enqueue(name, job_timeout=min(PERIODIC_JOB_TIMEOUT, interval * 10), result_ttl=interval)
        enqueued.append(name)
    return enqueued


class PeriodicEnqueuer(threading.Thread):
    """The worker's ticker: tries to enqueue due periodic jobs every second until stopped."""

    def __init__(self, queue: Queue, owner: str, tick: float = TICK_SECONDS):
        super().__init__(name="kendama-periodic", daemon=True)
        self.queue = queue
        self.owner = owner
        self.tick = tick
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                for name in enqueue_due(self.queue, self.owner):
                    log.info("enqueued periodic job %s", name)
            except RedisError:
                log.warning("Redis is unreachable; periodic jobs wait for it", exc_info=True)
            self.stopped.wait(self.tick)

    def stop(self) -> None:
        self.stopped.set()


# --- The embedded default -----------------------------------------------------------------

_ticker_lock = threading.Lock()
_ticker_started = False


def run_inline_due(app: Flask, next_runs: dict[str, float], now: float) -> list[str]:
    """Run (in this thread) each periodic job whose time has come; returns their names."""
    ran = []
    for name, interval in PERIODIC_JOBS:
        if now < next_runs.get(name, 0.0):
            continue
        next_runs[name] = now + interval
        try:
            with app.app_context():
                jobs_queue.run_now(name)
        except Exception:  # one failing job must not stop the others or the ticker
            log.exception("periodic job %s failed", name)
        ran.append(name)
    return ran


def _inline_ticker(app: Flask) -> None:
    next_runs: dict[str, float] = {}
    while True:
        run_inline_due(app, next_runs, time.monotonic())
        time.sleep(TICK_SECONDS)


def start_inline_ticker(app: Flask) -> bool:
    """Start the development ticker once per process; False when it was already running."""
    global _ticker_started
    with _ticker_lock:
        if _ticker_started:
            return False
        _ticker_started = True
    threading.Thread(target=_inline_ticker, args=(app,), name="kendama-ticker", daemon=True).start()
    log.info("jobs run inline: periodic jobs run in this process")
    return True


def init_app(app: Flask) -> None:
    """In development with inline jobs, start the ticker when the first request arrives."""
    if not app.config.get("PERIODIC_TICKER") or app.testing:
        return

    @app.before_request
    def _start_ticker():
        if not _ticker_started and jobs_queue.default_queue() is None:
            start_inline_ticker(app)
