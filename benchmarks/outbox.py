"""What the notification outbox costs on PostgreSQL: composing and sending, and an idle sweep.

Uses a scratch database (dropped at the end) and the development outbox in a temporary folder,
so the numbers are the platform's own work (claim, render HTML + text + .ics, write, mark sent),
not an SMTP server's. Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/outbox.py [messages]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kendama import create_app  # noqa: E402
from kendama.extensions import db  # noqa: E402
from kendama.models import Notification, utcnow  # noqa: E402
from kendama.services.notifications import delivery, sweep  # noqa: E402
from kendama.tasks.queue import enqueue  # noqa: E402
from tests.support import postgres  # noqa: E402
from tests.support.factories import LiveSessionFactory  # noqa: E402


def add_rows(count: int, session, *, due_in: timedelta = timedelta(0)) -> list[int]:
    due = utcnow() + due_in
    rows = [
        Notification(
            user_id=session.fan_id,
            session_id=session.id,
            kind="booking_confirmed",
            payload={"sequence": session.ics_sequence},
            due_at=due,
        )
        for _ in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]


def send_with_threads(app, ids: list[int], threads: int) -> float:
    """Seconds for `threads` workers to get through the same ids (each claims what it can)."""

    def work() -> None:
        with app.app_context():
            for notification_id in ids:
                delivery.deliver(notification_id)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def main(messages: int) -> None:
    url = postgres.create_database("kendama_bench")
    try:
        with tempfile.TemporaryDirectory() as folder:
            app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "MAIL_OUTBOX_DIR": folder})
            with app.app_context():
                db.create_all()
                session = LiveSessionFactory()

                ids = add_rows(messages, session)
                single = send_with_threads(app, ids, 1)
                print(
                    f"compose + send, 1 worker:  {messages / single:7.1f} emails/s ({single * 1000 / messages:.1f} ms each)"
                )

                ids = add_rows(messages, session)
                double = send_with_threads(app, ids, 2)
                files = len(list(Path(folder).glob("*.eml")))
                print(
                    f"compose + send, 2 workers: {messages / double:7.1f} emails/s "
                    f"({files} messages in the outbox for {2 * messages} rows)"
                )

                add_rows(20_000, session, due_in=timedelta(days=2))  # scheduled reminders, not due yet
                timings = []
                for _ in range(20):
                    started = time.perf_counter()
                    sweep.sweep(lambda notification_id: enqueue("kendama.jobs.send_notification", notification_id))
                    timings.append((time.perf_counter() - started) * 1000)
                print(
                    f"idle sweep over 20,000 future rows: median {statistics.median(timings):.2f} ms, "
                    f"max {max(timings):.2f} ms"
                )
                db.session.remove()
            with app.app_context():
                db.engine.dispose()
    finally:
        postgres.drop_database(url)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
