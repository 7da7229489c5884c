"""The unit tier's guard (tests/unit/conftest.py): the test may open no database; other threads may."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from .conftest import NEEDS_A_DATABASE


def test_the_test_itself_cannot_open_a_database():
    with pytest.raises(pytest.fail.Exception, match=NEEDS_A_DATABASE):
        sqlite3.connect(":memory:")


def test_a_server_thread_started_elsewhere_keeps_its_database():
    """A session-wide sandbox of another tier polls its SQLite file from its own thread meanwhile."""
    answers = []

    def poll():
        with sqlite3.connect(":memory:") as conn:
            answers.append(conn.execute("select 1").fetchone()[0])

    thread = threading.Thread(target=poll)
    thread.start()
    thread.join(timeout=10)
    assert answers == [1]
