"""The two databases the product runs on, as the tests build them.

- "postgresql": a scratch database on the local server, its schema made by the models, dropped
  afterwards (production's database).
- "sqlite": the embedded default exactly as `scripts/dev.sh` configures it: no DATABASE_URL,
  REDIS_URL, MAIL_SERVER or keys, so the app derives its SQLite file, engine options, SQLite set-up,
  inline jobs, mail outbox and sandbox state in its instance folder by the same code as there,
  and the schema comes from the migrations (`flask db upgrade`). The instance folder is a scratch
  folder, removed afterwards.

Core-flow test modules carry `pytestmark = pytest.mark.both_databases` and then run once on each
(the `app` fixture and the live servers follow the `backend` of the test).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from flask import Flask, g
from flask_migrate import upgrade

from kendama import create_app
from kendama.extensions import db

from . import postgres

BACKENDS = ("postgresql", "sqlite")
T = TypeVar("T")

# What scripts/dev.sh leaves unset (the testing configuration sets some of these for the PostgreSQL
# runs, e.g. per-process outbox and sandbox files).
EMBEDDED_DEFAULT = {
    "SQLALCHEMY_DATABASE_URI": None,
    "REDIS_URL": None,
    "MAIL_SERVER": None,
    "MAIL_OUTBOX_DIR": None,
    "STRIPE_SECRET_KEY": None,
    "STRIPE_WEBHOOK_SECRET": None,
    "STRIPE_SANDBOX_DB": None,
    "VIDEO_PROVIDER": None,
    "DAILY_API_KEY": None,
    "DAILY_WEBHOOK_SECRET": None,
    "VIDEO_SANDBOX_DB": None,
}


def per_backend(name: str, make: Callable[[pytest.FixtureRequest, str], Iterator[T]], *, scope: str = "session"):
    """Fixtures `<name>_postgresql` and `<name>_sqlite`, each built by `make(request, backend)` once
    per `scope`, and `<name>`, the one of the running test's backend.

    Assign the three to module names (pytest finds them there):
    `live_postgresql, live_sqlite, live = per_backend("live", make_live, scope="module")`.
    `<name>` takes `backend` as an argument, so pytest sees which tests depend on it.
    """

    def built_for(backend: str):
        def fixture(request):
            yield from make(request, backend)

        return pytest.fixture(scope=scope, name=f"{name}_{backend}")(fixture)

    def of_the_test(request, backend):
        return request.getfixturevalue(f"{name}_{backend}")

    return built_for("postgresql"), built_for("sqlite"), pytest.fixture(name=name)(of_the_test)


def isolate_g(app: Flask) -> None:
    """Clear `g` at the start of each request.

    Tests hold an app context open (for factories), and Flask reuses it for each test-client
    request, so `g` would leak from one request into the next; a real server never does that.
    """
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())


@contextmanager
def scratch_app(backend: str, overrides: dict | None = None) -> Iterator[Flask]:
    """An app of the testing configuration on a fresh database of `backend`; removed afterwards."""
    if backend == "postgresql":
        with _postgresql_app(overrides or {}) as app:
            yield app
    elif backend == "sqlite":
        with _embedded_app(overrides or {}) as app:
            yield app
    else:
        raise ValueError(f"unknown backend {backend!r}")


@contextmanager
def _postgresql_app(overrides: dict) -> Iterator[Flask]:
    url = postgres.create_database()
    app = None
    try:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, **overrides})
        with app.app_context():
            db.create_all()
        yield app
    finally:
        if app is not None:
            _dispose(app)
        postgres.drop_database(url)


@contextmanager
def _embedded_app(overrides: dict) -> Iterator[Flask]:
    instance = Path(tempfile.mkdtemp(prefix="kendama-embedded-"))
    try:
        app = create_app("testing", {**EMBEDDED_DEFAULT, **overrides}, instance_path=instance)
        assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"), "the embedded default is SQLite"
        with app.app_context():
            upgrade()
        yield app
        _dispose(app)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
