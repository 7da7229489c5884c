"""The unit tier needs no database and no app: rules on plain values, fast, anywhere.

The root conftest runs every test of the other tiers inside an app context, in a rolled-back
transaction on a test database. Here that autouse fixture is replaced by one that refuses every
database connection instead, and the fixtures that build an app or a database fail the test that
asks for them: such a test belongs in tests/service/.
"""

from __future__ import annotations

import sqlite3
import sqlite3.dbapi2
import threading

import psycopg
import pytest

NEEDS_A_DATABASE = "a unit test needs no database and no app: move it to tests/service/"


def _refuse(*args, **kwargs):
    pytest.fail(NEEDS_A_DATABASE)


def _refused_in(test_thread: threading.Thread, connect):
    """`connect`, failing the test when the test itself calls it.

    Other threads keep their databases: a session-wide server another tier started in this worker
    (the video sandbox's webhook deliverer, say) goes on polling its own SQLite file meanwhile.
    """

    def guarded(*args, **kwargs):
        if threading.current_thread() is test_thread:
            _refuse()
        return connect(*args, **kwargs)

    return guarded


@pytest.fixture(autouse=True)
def _transaction(monkeypatch):
    """No transaction to roll back; and no way for the test to open a database (PostgreSQL or SQLite)."""
    test_thread = threading.current_thread()
    for module in (psycopg, sqlite3, sqlite3.dbapi2):  # sqlite3.dbapi2 is what SQLAlchemy calls
        monkeypatch.setattr(module, "connect", _refused_in(test_thread, module.connect))


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
