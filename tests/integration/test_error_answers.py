"""A 503 means something passing; a bug is a 500 with a short reference that is also in the log.

On the embedded default, a query SQLite did not understand used to answer every booking with 503
"briefly unavailable" (sqlite3 raises OperationalError for syntax errors, which was taken for a
lost connection), so nobody looked for the bug.
"""

from __future__ import annotations

import logging
import re
import sqlite3

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from kendama.extensions import db
from kendama.services.booking import lifecycle

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

BAD_SQL = "SELECT 1 + INTERVAL '1 minute' FROM no_such_table"


def run_bad_query(*_args, **_kwargs):
    db.session.execute(text(BAD_SQL))


def database_went_away(*_args, **_kwargs):
    raise OperationalError("SELECT 1", {}, psycopg.OperationalError("server closed the connection unexpectedly"))


def database_locked(*_args, **_kwargs):
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = 5  # SQLITE_BUSY
    raise OperationalError("BEGIN IMMEDIATE", {}, error)


def book(client, api_token):
    player = PlayerFactory()
    body = {"player_id": player.id, "start": weekday_at(10).isoformat(), "duration_minutes": 30}
    return client.post("/api/sessions", headers=api_token(FanFactory()), json=body)


def test_a_query_the_database_rejects_is_a_500_with_a_reference_in_the_answer_and_the_log(
    client, api_token, monkeypatch, caplog
):
    monkeypatch.setattr(lifecycle, "create_session", run_bad_query)
    with caplog.at_level(logging.ERROR):
        response = book(client, api_token)
    assert response.status_code == 500
    error = response.json["error"]
    assert error["code"] == "server_error" and re.fullmatch(r"[0-9a-f]{8}", error["reference"])
    assert error["reference"] in error["message"] and "briefly unavailable" not in error["message"]
    logged = [record for record in caplog.records if error["reference"] in record.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback sits beside the reference


def test_the_page_of_a_bug_shows_its_reference(client, login, monkeypatch):
    fan, player = FanFactory(), PlayerFactory()
    login(fan)
    monkeypatch.setattr(lifecycle, "create_session", run_bad_query)
    page = client.get("/")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(
        f"/players/{player.id}/book",
        data={"csrf_token": token, "start": weekday_at(10).isoformat(), "duration": "30", "day": ""},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert re.search(r"reference [0-9a-f]{8}", html) and "Briefly unavailable" not in html


@pytest.mark.parametrize("fault", [database_went_away, database_locked], ids=["connection_lost", "locked"])
def test_a_database_that_is_down_or_busy_is_a_503_to_try_again(client, api_token, monkeypatch, fault):
    monkeypatch.setattr(lifecycle, "create_session", fault)
    response = book(client, api_token)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json["error"]["code"] == "unavailable" and "reference" not in response.json["error"]
