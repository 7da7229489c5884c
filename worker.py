"""The job worker: `python worker.py`.

Runs an RQ worker on the app's queue (RQ_QUEUE, "kendama" by default) with RQ's scheduler, plus
a ticker that enqueues every job in kendama.tasks.periodic.PERIODIC_JOBS once per interval
across all workers. Start as many as the load needs.

`rq worker --with-scheduler --url "$REDIS_URL" kendama` also runs the queued jobs (each job
builds the app from the environment), but only this entry point runs the periodic jobs.
"""

from __future__ import annotations

import logging
import os
import socket
import sys

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

from kendama import create_app
from kendama.extensions import db
from kendama.start_checks import UnsafeConfiguration
from kendama.tasks.periodic import PeriodicEnqueuer
from kendama.tasks.runtime import use_app
from kendama.web.request_logging import configure_logging

log = logging.getLogger("kendama.worker")

try:
    app = create_app()
except UnsafeConfiguration as exc:  # the same refusals as the web app's, without a traceback
    sys.exit(str(exc))


def _fresh_database_pool() -> None:
    # A forked child (RQ starts its scheduler in one) must not share the parent's database connections.
    with app.app_context():
        db.engine.dispose(close=False)


def check_configuration() -> None:
    """Refuse to start where jobs could not run as intended."""
    if not app.config.get("REDIS_URL"):
        sys.exit("REDIS_URL is not set: without Redis, jobs run inline in the web process and no worker is needed.")
    if app.config["PRODUCTION"] and not app.config.get("MAIL_SERVER"):
        sys.exit("MAIL_SERVER is not set: production and staging send email only by SMTP.")


def main() -> None:
    configure_logging()
    check_configuration()
    connection = Redis.from_url(app.config["REDIS_URL"])
    try:
        connection.ping()
    except RedisError as exc:
        sys.exit(f"Redis at REDIS_URL is unreachable: {exc}")
    use_app(app)
    os.register_at_fork(after_in_child=_fresh_database_pool)

    queue_name = app.config["RQ_QUEUE"]
    # Jobs run in this process rather than in a work horse forked for each: a fork of the app
    # per email cost more CPU than sending it (measured under benchmarks/load.py), and the jobs
    # are this app's own, idempotent and bounded by their timeouts. A worker that dies mid-job
    # loses nothing: RQ requeues abandoned jobs and the outbox sweep re-sends unsent rows once.
    worker = SimpleWorker([Queue(queue_name, connection=connection)], connection=connection)
    # The ticker has its own connection: work horses fork from this process while it runs.
    ticker_queue = Queue(queue_name, connection=Redis.from_url(app.config["REDIS_URL"]))
    ticker = PeriodicEnqueuer(ticker_queue, owner=f"{socket.gethostname()}:{os.getpid()}")
    ticker.start()
    log.info("worker listening on queue %s", queue_name)
    try:
        worker.work(with_scheduler=True, logging_level="INFO")
    finally:
        ticker.stop()


if __name__ == "__main__":
    main()
