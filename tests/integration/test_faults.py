"""Fault injection: the database connection dropping mid-booking, Redis down, the video provider
down at join time, and a worker killed in the middle of sending an email.

Stripe's faults (500s, timeouts, outages) are in payments/test_stripe_faults.py. The outbox's own
Redis test (a change committed while Redis is down, then swept and sent by a worker) is
test_outbox_workers.py::test_redis_down_during_a_change_then_the_sweep_sends_it; the booking
test here shows the booking itself succeeds while Redis is down.

Tests that commit for real use a scratch database of their own (no other test sees or cleans up
their rows), a private redis-server and their own SMTP server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import event, func, select

from kendama import create_app, jobs
from kendama.extensions import db
from kendama.models import ConsentRecord, LiveSession, Notification
from kendama.services.accounts import api_tokens
from kendama.services.notifications import outbox
from kendama.services.timezones import iso_utc
from kendama.services.video import calls

from ..conftest import csrf_token_from
from ..support import postgres
from ..support.booking_helpers import weekday_at
from ..support.factories import PASSWORD, FanFactory, PlayerFactory
from ..support.redis_server import PrivateRedis
from ..support.smtp_server import Collector, SMTPServer
from ..support.video_support import session_at

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """An app on a database of its own, schema built from the models, dropped afterwards."""
    url = postgres.create_database("kendama_faults")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
    yield app, url
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    postgres.drop_database(url)


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# --- PostgreSQL -----------------------------------------------------------------------------


class BackendKiller:
    """Terminates the database backend of the connection that is about to run a chosen statement.

    The statement then runs on a dead connection, exactly as when the server restarts or the
    network drops in the middle of a transaction.
    """

    def __init__(self, engine, dsn: str, statement_prefix: str):
        self.engine, self.dsn, self.prefix = engine, dsn, statement_prefix.upper()
        self.fired = False

    def __enter__(self) -> BackendKiller:
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.fired or not statement.lstrip().upper().startswith(self.prefix):
            return
        self.fired = True
        pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(self.dsn, autocommit=True) as admin:
            # Wait (up to 5 s) until the backend is gone, so the statement surely meets a dead connection.
            assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]


def _sign_in(client, email: str) -> None:
    token = csrf_token_from(client)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303


@pytest.mark.committed
@pytest.mark.parametrize("via", ["api", "form"])
def test_a_connection_dropped_mid_booking_is_a_clear_503_and_leaves_nothing_half_written(scratch, via):
    app, url = scratch
    with app.app_context():
        player, fan = PlayerFactory(), FanFactory()
        player_id, fan_id, email = player.id, fan.id, fan.email
        headers = {"Authorization": f"Bearer {api_tokens.issue_token(fan)[0]}"}
        engine = db.engine
        db.session.remove()
    client = app.test_client()
    start = weekday_at(10)
    if via == "form":
        _sign_in(client, email)

    def book():
        if via == "api":
            body = {"player_id": player_id, "start": iso_utc(start), "duration_minutes": 30}
            return client.post("/api/sessions", json=body, headers=headers)
        form = {"start": start.isoformat(), "duration": "30", "csrf_token": csrf_token_from(client)}
        return client.post(f"/players/{player_id}/book", data=form)

    # The booking's row and its consent rows are already inserted when its outbox row is written.
    with BackendKiller(engine, _libpq(url), "INSERT INTO notifications") as killer:
        response = book()
    assert killer.fired
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    if via == "api":
        assert response.json["error"]["code"] == "unavailable"
        assert "try again" in response.json["error"]["message"]
    else:
        assert "The service is briefly unavailable. Please try again in a moment." in response.get_data(as_text=True)

    with app.app_context():
        sessions = select(LiveSession.id).where(LiveSession.player_id == player_id)
        assert db.session.scalar(select(func.count()).select_from(sessions.subquery())) == 0
        assert db.session.scalar(select(func.count(ConsentRecord.id)).where(ConsentRecord.user_id == fan_id)) == 0
        assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == fan_id)) == 0
        db.session.remove()

    # The pool hands out a live connection again: the same booking now goes through.
    retried = book()
    assert retried.status_code == (201 if via == "api" else 303)
    with app.app_context():
        assert db.session.scalar(select(func.count(LiveSession.id)).where(LiveSession.player_id == player_id)) == 1
        db.session.remove()


# --- Redis ----------------------------------------------------------------------------------


def test_redis_down_a_booking_still_succeeds_and_its_emails_wait_in_the_outbox(
    app, client, api_token, private_redis, monkeypatch
):
    connection = Redis.from_url(private_redis.url, socket_connect_timeout=0.5, socket_timeout=1)
    queue = Queue(f"kendama-test-{uuid.uuid4().hex[:12]}", connection=connection)
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.extensions, "kendama.queue", queue)
    player, fan = PlayerFactory(), FanFactory()
    headers = api_token(fan)

    private_redis.stop()
    body = {"player_id": player.id, "start": iso_utc(weekday_at(10)), "duration_minutes": 30}
    response = client.post("/api/sessions", json=body, headers=headers)
    assert response.status_code == 201 and response.json["status"] == "confirmed"
    waiting = db.session.scalars(
        select(Notification).where(
            Notification.session_id == response.json["id"], Notification.kind == "booking_confirmed"
        )
    ).all()
    assert {(n.user_id, n.status) for n in waiting} == {(fan.id, "pending"), (player.id, "pending")}

    private_redis.start()
    jobs.sweep_notifications()  # what the periodic sweep does once Redis is back
    assert queue.count == 2
    queue.delete(delete_jobs=True)


# --- The video provider ---------------------------------------------------------------------


def test_video_provider_down_at_join_is_a_503_with_a_retry_hint_and_a_retry_succeeds(
    app, client, api_token, monkeypatch
):
    session = session_at(timedelta(minutes=5))
    headers = api_token(session.fan)
    monkeypatch.setitem(app.config, "VIDEO_SANDBOX_URL", "http://127.0.0.1:9/_sandbox/video")  # nothing listens
    monkeypatch.setitem(app.config, "DAILY_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(calls.provider(), "backoff_seconds", 0.0)

    down = client.post(f"/api/sessions/{session.id}/join", headers=headers)
    assert down.status_code == 503
    assert down.json["error"]["code"] == "video_unavailable"
    assert "try again" in down.json["error"]["message"]
    assert int(down.headers["Retry-After"]) > 0

    monkeypatch.setitem(app.config, "VIDEO_SANDBOX_URL", None)  # the provider is back
    up = client.post(f"/api/sessions/{session.id}/join", headers=headers)
    assert up.status_code == 200, up.json
    assert up.json["room_url"] and up.json["token"]


# --- A worker killed mid-job ----------------------------------------------------------------


class StallingCollector(Collector):
    """Holds the first message at the end of DATA without answering (the send is in flight)."""

    def __init__(self):
        super().__init__()
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 The sender went away"  # never accepted: its client was killed before this
        return await super().handle_DATA(server, session, envelope)


def start_worker(env: dict) -> subprocess.Popen:
    # Its own process group, so SIGKILL reaches the worker and the work horse it forked.
    return subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_with_work_horse(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and the work horse it forked (RQ puts the horse in a session of its own)."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    for pid in children:
        os.kill(int(pid), signal.SIGKILL)
    os.killpg(worker.pid, signal.SIGKILL)


def stop(worker: subprocess.Popen, sig: int = signal.SIGTERM) -> str:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
    try:
        return worker.communicate(timeout=20)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        return worker.communicate()[0].decode(errors="replace")


def wait_until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


@pytest.mark.committed
def test_a_worker_killed_mid_send_leaves_the_email_to_the_next_worker_which_sends_it_once(
    scratch, private_redis, tmp_path
):
    app, url = scratch
    queue_name = f"kendama-test-{uuid.uuid4().hex[:12]}"
    with app.app_context():
        fan = FanFactory()
        notification_id = outbox.queue(fan.id, "password_reset").id
        db.session.commit()
        db.session.info.pop("jobs_ready", None)
        db.session.remove()
    connection = Redis.from_url(private_redis.url)
    Queue(queue_name, connection=connection).enqueue(jobs.send_notification, notification_id)

    def row() -> Notification:
        with app.app_context():
            found = db.session.get(Notification, notification_id)
            db.session.expunge(found)
            db.session.remove()
            return found

    smtp = SMTPServer()
    smtp.handler = smtp.controller.handler = StallingCollector()
    with smtp:
        env = {
            **os.environ,
            "KENDAMA_ENV": "development",
            "DATABASE_URL": url,
            "REDIS_URL": private_redis.url,
            "RQ_QUEUE": queue_name,
            "SECRET_KEY": "worker-test-secret",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            # A send still "sending" after 1 s belongs to a dead worker (far longer in production).
            "NOTIFICATION_SENDING_TIMEOUT_SECONDS": "1",
            "STRIPE_SANDBOX_DB": str(tmp_path / "stripe.sqlite3"),
            "VIDEO_SANDBOX_DB": str(tmp_path / "video.sqlite3"),
        }
        first = start_worker(env)
        try:
            assert smtp.handler.stalled.wait(45), "the first worker never reached the SMTP server"
        finally:
            kill_with_work_horse(first)  # killed mid-send, as by the OOM killer or a lost host
            output = stop(first)
        killed = row()
        assert (killed.status, killed.attempts) == ("sending", 1), output[-2000:]
        smtp.handler.release.set()

        # The jobs the dead worker left queued are lost too: the outbox row alone must bring the
        # email back, through the periodic sweep (enqueued here rather than a minute from now).
        queue = Queue(queue_name, connection=connection)
        queue.empty()
        queue.enqueue(jobs.sweep_notifications)
        time.sleep(max(0.0, 1.2 - (time.time() - killed.locked_at.timestamp())))  # the claim is now stale
        second = start_worker(env)
        try:
            assert wait_until(lambda: len(smtp.messages) >= 1, 45), "the next worker did not send it"
            time.sleep(1.0)  # room for a duplicate to show up, if there were one
        finally:
            output = stop(second, signal.SIGKILL)  # nothing left to finish
    assert len(smtp.messages) == 1, output[-2000:]
    assert [str(message["Subject"]) for _, _, message in smtp.messages] == ["Reset your Kendama Live password"]
    sent = row()
    assert (sent.status, sent.attempts) == ("sent", 2)
