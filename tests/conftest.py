"""Test fixtures: a database per run and backend, each test in a rolled-back transaction.

Every test of the service, integration, security, e2e and browser tiers runs on PostgreSQL; a
module marked `both_databases` runs on the embedded default's SQLite too
(tests/support/backends.py). `backend` names the database of the running test. The unit tier opens
no database: tests/unit/conftest.py replaces `_transaction` and refuses the app and database fixtures.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from email.utils import parseaddr
from pathlib import Path

import pytest
from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession

from kendama import create_app
from kendama.extensions import db, limiter
from kendama.integrations.stripe.sandbox import store as stripe_store
from kendama.integrations.video.sandbox import store as video_store

from .support import postgres
from .support.backends import BACKENDS, isolate_g, per_backend, scratch_app
from .support.factories import PASSWORD
from .support.video_support import sandbox_server


class _TestSession(FlaskSession):
    """Always use the test's connection, so its outer transaction can be rolled back."""

    def get_bind(self, *args, **kwargs):
        return self.bind


class _SessionOfTestApp:
    """`db.session` during a test: the test's session in the test app's context, the usual one elsewhere.

    `db.session` is one object for every app in the process. A live server's thread (another app,
    on its own database) may still be finishing a request when the next test begins; it must not
    run statements on that test's connection.
    """

    def __init__(self, app, in_test, usual):
        self._app, self._in_test, self._usual = app, in_test, usual

    def _current(self):
        return self._in_test if not has_app_context() or current_app._get_current_object() is self._app else self._usual

    def __call__(self, *args, **kwargs):
        return self._current()(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._current(), name)


def pytest_generate_tests(metafunc):
    """Run the tests of `both_databases` modules once per backend."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request) -> str:
    """The database this test runs on: PostgreSQL unless the test is parametrized over both."""
    return getattr(request, "param", "postgresql")


@pytest.fixture(scope="session")
def database_url():
    """A PostgreSQL database for tests that need one whatever the backend (e.g. a second app)."""
    url = postgres.create_database()
    yield url
    postgres.drop_database(url)


def _app(request, backend: str):
    """The app the test client talks to, on this backend's database (built once per run)."""
    if backend == "postgresql":
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": request.getfixturevalue("database_url")})
        isolate_g(app)
        with app.app_context():
            db.create_all()
        yield app
        with app.app_context():
            db.engine.dispose()
        remove_scratch_files(app)
    else:
        with scratch_app(backend) as app:
            isolate_g(app)
            yield app


app_postgresql, app_sqlite, app = per_backend("app", _app)


# Per-process files the testing config keeps in the temp folder (outbox, sandbox state).
SCRATCH_SETTINGS = ("MAIL_OUTBOX_DIR", "VIDEO_SANDBOX_DB", "STRIPE_SANDBOX_DB", "STORAGE_DIR")


def remove_scratch_files(app) -> None:
    """Leave nothing behind: the outbox folder and the sandboxes' SQLite files (with -wal/-shm)."""
    temp = Path(tempfile.gettempdir())
    for setting in SCRATCH_SETTINGS:
        path = Path(app.config[setting])
        if path.parent != temp or not path.name.startswith("kendama-"):
            continue  # only ever delete what the testing config placed in the temp folder
        for candidate in temp.glob(path.name + "*"):
            if candidate.is_dir():
                shutil.rmtree(candidate, ignore_errors=True)
            else:
                candidate.unlink(missing_ok=True)
    # The sandboxes make their schema once per file and process: a later run in this process
    # (mutmut runs pytest again and again in one process) must make it again in the new file.
    stripe_store._initialised.clear()
    video_store._initialised.clear()


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Run the test inside a transaction that is rolled back at the end (commits become savepoints)."""
    if "committed" in request.keywords:
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        in_test = db._make_scoped_session(
            {"class_": _TestSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
        )
        db.session = _SessionOfTestApp(app, in_test, original)
        limiter.reset()
        try:
            yield
        finally:
            in_test.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def password():
    return PASSWORD


def csrf_token_from(client) -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    response = client.get("/")
    match = re.search(r'"X-CSRFToken": "([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the home page"
    return match.group(1)


@pytest.fixture
def login(client):
    """Sign a user in through the real form (CSRF and all)."""

    def sign_in(user, password_text: str = PASSWORD):
        client.delete_cookie("session")  # whoever was signed in before is signed out
        token = csrf_token_from(client)
        response = client.post("/login", data={"email": user.email, "password": password_text, "csrf_token": token})
        assert response.status_code == 303, response.data[:500]
        return client

    return sign_in


@pytest.fixture
def api_token(client):
    """An API token for a user, obtained through POST /api/tokens."""

    def issue(user, password_text: str = PASSWORD) -> dict:
        response = client.post("/api/tokens", json={"email": user.email, "password": password_text})
        assert response.status_code == 201, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}

    return issue


@pytest.fixture
def use_sandbox(app, sandbox, monkeypatch):
    """This test's app talks to the module's video sandbox, under a room prefix of the test's own.

    The sandbox outlives the test's rolled-back data, and SQLite hands out a rolled-back id again,
    so without the prefix a new session 1 would find the room of an earlier test's session 1.
    """
    monkeypatch.setitem(app.config, "VIDEO_SANDBOX_URL", sandbox.url)
    monkeypatch.setitem(app.config, "VIDEO_ROOM_PREFIX", f"kendama-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def sandbox(database_url, tmp_path_factory):
    """The video sandbox served on a port of its own, for the modules that test against the provider."""
    with sandbox_server(database_url, tmp_path_factory.mktemp("video") / "sandbox.sqlite3") as server:
        yield server


@pytest.fixture
def private_calendar_hosts(app, monkeypatch):
    """Let the calendar import fetch from tests/support/calendar_server.py on 127.0.0.1 (off in every environment)."""
    monkeypatch.setitem(app.config, "CALENDAR_FETCH_ALLOW_PRIVATE", True)


def recipient(message) -> str:
    """The email address a composed message goes to (its one recipient, a mailbox string)."""
    (mailbox,) = message.recipients
    return parseaddr(mailbox)[1]
