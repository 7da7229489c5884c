"""The outbox under real workers: concurrent claims, Redis going away, periodic jobs, `python worker.py`.

Committed tests (marked) write real rows that other connections and processes see, and remove
what they created. Redis faults use a private redis-server; queue names are unique per test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from flask_mail import email_dispatched
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import delete, select

from kendama import jobs
from kendama.extensions import db, mail
from kendama.models import LiveSession, Notification, User
from kendama.services.notifications import delivery, outbox
from kendama.tasks import periodic
from kendama.tasks.queue import dispatch_committed

from ..conftest import csrf_token_from
from ..support.factories import FanFactory, LiveSessionFactory
from ..support.redis_server import PrivateRedis
from ..support.smtp_server import SMTPServer

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 8


def unique_queue_name() -> str:
    return f"kendama-test-{uuid.uuid4().hex[:12]}"


def remove_users(app, user_ids: list[int]) -> None:
    with app.app_context():
        db.session.execute(delete(LiveSession).where(LiveSession.fan_id.in_(user_ids)))
        db.session.execute(delete(User).where(User.id.in_(user_ids)))
        db.session.commit()
        db.session.remove()


@pytest.mark.committed
def test_concurrent_workers_never_send_one_message_twice(app):
    with app.app_context():
        fan = FanFactory()
        fan_id = fan.id
        ids = [outbox.queue(fan_id, "password_reset", dedupe_key=f"race:{uuid.uuid4()}").id for _ in range(6)]
        db.session.commit()
        db.session.info.pop("jobs_ready", None)  # the workers below are the only senders
        db.session.remove()
    sent: list[str] = []
    record_lock = threading.Lock()

    def record(_app, message):
        with record_lock:
            sent.append(message.msgId)

    barrier = threading.Barrier(WORKERS)
    outcomes: list[str | None] = []

    def worker(order: list[int]) -> None:
        with app.app_context():
            barrier.wait()
            for notification_id in order:
                outcomes.append(delivery.deliver(notification_id))
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(ids if n % 2 else ids[::-1],)) for n in range(WORKERS)]
    try:
        with email_dispatched.connected_to(record):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        assert len(sent) == len(ids) == len(set(sent))
        assert outcomes.count("sent") == len(ids)
        assert outcomes.count(None) == len(ids) * (WORKERS - 1)
        with app.app_context():
            statuses = db.session.scalars(select(Notification.status).where(Notification.id.in_(ids))).all()
            assert set(statuses) == {"sent"}
            attempts = db.session.scalars(select(Notification.attempts).where(Notification.id.in_(ids))).all()
            assert set(attempts) == {1}
    finally:
        remove_users(app, [fan_id])


def race_callers(app, fan_ids: list[int], queue_rows) -> None:
    """Two callers each change their own user, then queue rows at the same moment (`queue_rows(user_id)`)
    and commit; afterwards both changes must have committed."""
    barrier = threading.Barrier(2)

    def caller(user_id: int) -> None:
        with app.app_context():
            db.session.get(User, user_id).display_name = "Changed"  # each caller's own change
            db.session.flush()
            barrier.wait()
            queue_rows(user_id)
            db.session.commit()
            db.session.info.pop("jobs_ready", None)
            db.session.remove()

    threads = [threading.Thread(target=caller, args=(user_id,)) for user_id in fan_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with app.app_context():
        names = db.session.scalars(select(User.display_name).where(User.id.in_(fan_ids))).all()
        assert names == ["Changed", "Changed"]  # neither caller lost its change
        db.session.remove()


@pytest.mark.committed
def test_the_same_event_reported_concurrently_adds_one_row_and_both_changes_commit(app):
    with app.app_context():
        fan_ids = [FanFactory().id, FanFactory().id]
        db.session.remove()
    key = f"concurrent:{uuid.uuid4()}"
    results: list[bool] = []

    def queue_shared(_user_id: int) -> None:
        results.append(outbox.queue(fan_ids[0], "password_reset", dedupe_key=key) is not None)

    try:
        race_callers(app, fan_ids, queue_shared)
        assert sorted(results) == [False, True]
        with app.app_context():
            keyed = db.session.scalars(select(Notification.id).where(Notification.dedupe_key == key)).all()
            assert len(keyed) == 1
            db.session.remove()
    finally:
        remove_users(app, fan_ids)


@pytest.mark.committed
def test_racing_batches_add_a_shared_key_once_and_each_their_own_rows(app):
    with app.app_context():
        fan_ids = [FanFactory().id, FanFactory().id]
        db.session.remove()
    shared = f"concurrent:{uuid.uuid4()}"
    written: dict[int, list[str]] = {}

    def queue_batch(user_id: int) -> None:
        keys = (shared, f"own:{uuid.uuid4()}")
        ids = outbox.queue_all([outbox.Message(user_id, "password_reset", dedupe_key=k) for k in keys])
        written[user_id] = db.session.scalars(select(Notification.dedupe_key).where(Notification.id.in_(ids))).all()

    try:
        race_callers(app, fan_ids, queue_batch)
        assert sorted(len(keys) for keys in written.values()) == [1, 2]  # the later one wrote only its own
        with app.app_context():
            keys = db.session.scalars(select(Notification.dedupe_key).where(Notification.user_id.in_(fan_ids))).all()
            assert sorted(keys) == sorted(key for own in written.values() for key in own)
            assert keys.count(shared) == 1
            db.session.remove()
    finally:
        remove_users(app, fan_ids)


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def test_redis_down_during_a_change_then_the_sweep_sends_it(app, client, private_redis, monkeypatch):
    connection = Redis.from_url(private_redis.url, socket_connect_timeout=0.5, socket_timeout=1)
    queue = Queue(unique_queue_name(), connection=connection)
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.extensions, "kendama.queue", queue)
    session = LiveSessionFactory()
    fan = session.fan

    private_redis.stop()
    with mail.record_messages() as sent:
        # A change in one transaction: the booking's state and its outbox rows.
        session.notes = "bring a spare string"
        outbox.on_confirmed(session)
        db.session.commit()
        dispatch_committed()  # Redis is down: the enqueue fails and is only logged
        # The same through HTTP: the request succeeds although its job cannot be enqueued.
        response = client.post("/password/forgot", data={"email": fan.email, "csrf_token": csrf_token_from(client)})
    assert response.status_code == 303
    assert sent == []
    waiting = db.session.scalars(select(Notification).where(Notification.user_id.in_([fan.id, session.player_id])))
    due_now = [n for n in waiting if n.kind in ("booking_confirmed", "password_reset")]
    assert len(due_now) == 3 and {n.status for n in due_now} == {"pending"}

    private_redis.start()
    jobs.sweep_notifications()  # hands the dropped rows to RQ again
    assert queue.count == 3
    with mail.record_messages() as sent:
        SimpleWorker([queue], connection=connection).work(burst=True)
    assert sorted(m.subject.split(":")[0] for m in sent) == [
        "Confirmed",
        "Confirmed",
        "Reset your Kendama Live password",
    ]
    for notification in due_now:
        db.session.refresh(notification)
        assert notification.status == "sent"
    # A second copy of a job (the sweep re-handing a row late) finds it sent and does nothing.
    queue.enqueue(jobs.send_notification, due_now[0].id)
    with mail.record_messages() as sent:
        SimpleWorker([queue], connection=connection).work(burst=True)
    assert sent == []
    queue.delete(delete_jobs=True)


def test_periodic_jobs_are_enqueued_once_per_interval_across_workers(monkeypatch):
    connection = Redis.from_url("redis://127.0.0.1:6379/0")
    queue = Queue(unique_queue_name(), connection=connection)
    monkeypatch.setattr(
        periodic, "PERIODIC_JOBS", [("kendama.jobs.sweep_notifications", 120), ("kendama.jobs.refresh_calendars", 1800)]
    )
    key = periodic.lock_key(queue.name, "kendama.jobs.sweep_notifications")
    try:
        first = periodic.enqueue_due(queue, owner="worker-a")
        second = periodic.enqueue_due(queue, owner="worker-b")
        assert first == ["kendama.jobs.sweep_notifications", "kendama.jobs.refresh_calendars"]
        assert second == []
        assert queue.count == 2
        assert 0 < connection.ttl(key) <= 120
        connection.delete(key)  # as if the interval had passed
        assert periodic.enqueue_due(queue, owner="worker-b") == ["kendama.jobs.sweep_notifications"]
        assert queue.count == 3
    finally:
        connection.delete(key, periodic.lock_key(queue.name, "kendama.jobs.refresh_calendars"))
        queue.delete(delete_jobs=True)


CALLS: list[str] = []


def hourly():
    CALLS.append("hourly")


def often():
    CALLS.append("often")


def broken():
    raise RuntimeError("a failing job does not stop the others")


def test_the_inline_ticker_runs_each_job_once_per_interval(app, monkeypatch):
    CALLS.clear()
    monkeypatch.setattr(
        periodic,
        "PERIODIC_JOBS",
        [(f"{__name__}.{job}", every) for job, every in (("broken", 1), ("hourly", 60), ("often", 10))],
    )
    next_runs: dict = {}
    for now in (0.0, 5.0, 10.0, 59.0, 60.0):
        periodic.run_inline_due(app, next_runs, now)
    assert CALLS.count("hourly") == 2 and CALLS.count("often") == 3


def test_no_ticker_under_tests(app, client):
    client.get("/")
    assert not periodic._ticker_started


@pytest.mark.committed
def test_python_worker_py_sends_real_smtp_mail(app, database_url, private_redis):
    queue_name = unique_queue_name()
    with app.app_context():
        fan = FanFactory()
        fan_id, email = fan.id, fan.email
        queued = outbox.queue(fan_id, "password_reset")
        swept = outbox.queue(fan_id, "player_verified")  # left for the worker's sweep
        db.session.commit()
        db.session.info.pop("jobs_ready", None)
        queued_id, swept_id = queued.id, swept.id
        db.session.remove()
    connection = Redis.from_url(private_redis.url)
    Queue(queue_name, connection=connection).enqueue(jobs.send_notification, queued_id)

    env = {
        **os.environ,
        "KENDAMA_ENV": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": private_redis.url,
        "RQ_QUEUE": queue_name,
        "SECRET_KEY": "worker-test-secret",
        "BASE_URL": "https://kendama.example",
    }
    with SMTPServer() as smtp:
        env.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port)})
        worker = subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 45
            while len(smtp.messages) < 2 and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                output = worker.communicate(timeout=20)[0].decode(errors="replace")
            except subprocess.TimeoutExpired:
                worker.kill()
                output = worker.communicate()[0].decode(errors="replace")
        try:
            subjects = sorted(str(message["Subject"]) for _, _, message in smtp.messages)
            assert subjects == ["Reset your Kendama Live password", "You are verified on Kendama Live"], output[-3000:]
            assert all(recipients == [email] for _, recipients, _ in smtp.messages)
            reset = next(m for _, _, m in smtp.messages if "password" in str(m["Subject"]))
            assert "https://kendama.example/password/reset/" in reset.get_body(("plain",)).get_content()
            with app.app_context():
                statuses = db.session.scalars(
                    select(Notification.status).where(Notification.id.in_([queued_id, swept_id]))
                ).all()
                assert statuses == ["sent", "sent"]
                db.session.remove()
        finally:
            connection.delete(*connection.keys(f"kendama:periodic:{queue_name}:*") or ["-"])
            remove_users(app, [fan_id])
