"""Running kendama.jobs.PERIODIC_JOBS at their intervals.

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
from collections.abc import Callable

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
# Periodic jobs must finish well inside their interval; this bounds a stuck one.
PERIODIC_JOB_TIMEOUT = 600


def job_name(func: Callable[[], None]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def lock_key(queue_name: str, func: Callable[[], None]) -> str:
    """The Redis key that says this job has been enqueued for the current interval."""
    return f"kendama:periodic:{queue_name}:{job_name(func)}"


def enqueue_due(queue: Queue, owner: str) -> list[str]:
    """Enqueue each periodic job whose interval lock this process takes; returns their names."""
    from .jobs import PERIODIC_JOBS

    connection: Redis = queue.connection
    enqueued = []
    for func, interval in PERIODIC_JOBS:
        if not connection.set(lock_key(queue.name, func), owner, nx=True, ex=interval):
            continue  # another worker (or this one) enqueued it within the interval
        queue.enqueue(func, job_timeout=min(PERIODIC_JOB_TIMEOUT, interval * 10), result_ttl=interval)
        enqueued.append(job_name(func))
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


def run_inline_due(app: Flask, next_runs: dict[Callable[[], None], float], now: float) -> list[str]:
    """Run (in this thread) each periodic job whose time has come; returns their names."""
    from .jobs import PERIODIC_JOBS

    ran = []
    for func, interval in PERIODIC_JOBS:
        if now < next_runs.get(func, 0.0):
            continue
        next_runs[func] = now + interval
        try:
            with app.app_context():
                func()
        except Exception:  # one failing job must not stop the others or the ticker
            log.exception("periodic job %s failed", job_name(func))
        ran.append(job_name(func))
    return ran


def _inline_ticker(app: Flask) -> None:
    next_runs: dict[Callable[[], None], float] = {}
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
    from . import queueing

    @app.before_request
    def _start_ticker():
        if not _ticker_started and queueing.default_queue() is None:
            start_inline_ticker(app)
