"""The unit tier needs no database and no app: rules on plain values, fast, anywhere.

The root conftest runs every test of the other tiers inside an app context, in a rolled-back
transaction on a test database. Here that autouse fixture is replaced by one that refuses every
database connection instead, and the fixtures that build an app or a database fail the test that
asks for them: such a test belongs in tests/service/.
"""

from __future__ import annotations

import sqlite3
import sqlite3.dbapi2

import psycopg
import pytest

NEEDS_A_DATABASE = "a unit test needs no database and no app: move it to tests/service/"


def _refuse(*args, **kwargs):
    pytest.fail(NEEDS_A_DATABASE)


@pytest.fixture(autouse=True)
def _transaction(monkeypatch):
    """No transaction to roll back; and no way to open a database (PostgreSQL or SQLite) at all."""
    monkeypatch.setattr(psycopg, "connect", _refuse)
    monkeypatch.setattr(sqlite3, "connect", _refuse)
    monkeypatch.setattr(sqlite3.dbapi2, "connect", _refuse)  # what SQLAlchemy calls


@pytest.fixture
def database_url():
    _refuse()


@pytest.fixture
def app():
    _refuse()


@pytest.fixture
def app_postgresql():
    _refuse()


@pytest.fixture
def app_sqlite():
    _refuse()
