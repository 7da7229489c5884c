"""kendama/dialects.py on both databases: each construct's form for each dialect does the same thing,
and every statement the services build up front compiles and prepares on both.

A statement that only PostgreSQL understands (the `INTERVAL '1 minute'` that once made every booking
on the embedded default a 503) fails `test_every_prebuilt_statement_prepares`, whether or not a
core-flow test happens to run it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import CompoundSelect, Delete, Insert, Select, Update, literal, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

import kendama
from kendama import dialects
from kendama.dialects import PerDialect, epoch_seconds, insert_skipping_duplicates, is_overlap_violation, plus_minutes
from kendama.extensions import db
from kendama.models import LiveSession, Notification, User

from ..support.factories import FanFactory, LiveSessionFactory

pytestmark = pytest.mark.both_databases

INSTANT = datetime(2026, 3, 29, 0, 59, 59, 250000, tzinfo=UTC)  # a DST day in Europe; UTC has none


def scalar(expression):
    return db.session.scalar(select(expression))


# --- Timestamp arithmetic ---------------------------------------------------------------------------


def test_plus_minutes_moves_a_stored_time_and_keeps_its_fraction():
    session = LiveSessionFactory(starts_at=INSTANT, ends_at=INSTANT + timedelta(minutes=30))
    moved = db.session.scalar(
        select(plus_minutes(LiveSession.starts_at, LiveSession.duration_minutes)).where(LiveSession.id == session.id)
    )
    assert moved == INSTANT + timedelta(minutes=30)
    later = db.session.scalar(
        select(LiveSession.id).where(
            LiveSession.id == session.id, LiveSession.ends_at < plus_minutes(LiveSession.starts_at, literal(31))
        )
    )
    same = db.session.scalar(
        select(LiveSession.id).where(
            LiveSession.id == session.id, LiveSession.ends_at < plus_minutes(LiveSession.starts_at, literal(30))
        )
    )
    assert later == session.id and same is None  # the same instant is not earlier than itself


def test_epoch_seconds_reads_a_stored_time_as_utc():
    session = LiveSessionFactory(starts_at=INSTANT, ends_at=INSTANT + timedelta(minutes=30))
    seconds = db.session.scalar(select(epoch_seconds(LiveSession.starts_at)).where(LiveSession.id == session.id))
    assert int(seconds) == int(INSTANT.timestamp())


# --- Statements built per dialect ---------------------------------------------------------------------


def test_insert_skipping_duplicates_writes_each_key_once_and_returns_what_it_wrote():
    user = FanFactory()
    table = Notification.__table__
    statement = insert_skipping_duplicates(table, table.c.dedupe_key, table.c.id, table.c.dedupe_key).get()
    row = {"user_id": user.id, "kind": "password_reset", "payload": {}, "due_at": INSTANT, "status": "pending"}
    first = db.session.execute(statement, [{**row, "dedupe_key": "a"}, {**row, "dedupe_key": "b"}]).all()
    again = db.session.execute(statement, [{**row, "dedupe_key": "a"}, {**row, "dedupe_key": "c"}]).all()
    assert [key for _, key in first] == ["a", "b"] and [key for _, key in again] == ["c"]


def test_per_dialect_picks_the_sessions_database(backend):
    assert PerDialect(postgresql="pg", sqlite="lite").get() == {"postgresql": "pg", "sqlite": "lite"}[backend]


# --- The overlap guard -------------------------------------------------------------------------------


def overlapping(existing: LiveSession, **fields) -> LiveSession:
    """Another session of the same player, starting inside `existing`."""
    start = existing.starts_at + timedelta(minutes=15)
    return LiveSession(
        fan_id=FanFactory().id,
        player_id=existing.player_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        duration_minutes=30,
        **fields,
    )


def refused(row: LiveSession) -> IntegrityError:
    db.session.add(row)
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    db.session.rollback()
    return caught.value


@pytest.mark.parametrize("status", ["pending_payment", "confirmed", "in_progress", "completed", "no_show"])
def test_the_database_refuses_a_second_session_over_one_that_holds_its_time(status):
    existing = LiveSessionFactory(status=status)
    assert is_overlap_violation(refused(overlapping(existing)))


def test_a_cancelled_session_holds_nothing_and_cannot_be_revived_over_another():
    cancelled = LiveSessionFactory(status="cancelled")
    newer = overlapping(cancelled)
    db.session.add(newer)
    db.session.commit()
    cancelled.status = "confirmed"  # reviving the old one would overlap the new one
    assert is_overlap_violation(refused(cancelled))


def test_moving_a_session_onto_another_is_refused():
    first = LiveSessionFactory()
    second = LiveSessionFactory(
        player=first.player, starts_at=first.ends_at, ends_at=first.ends_at + timedelta(minutes=30)
    )
    second.starts_at, second.blocked_until = first.starts_at, first.ends_at + timedelta(minutes=30)
    assert is_overlap_violation(refused(second))


def test_other_players_and_touching_sessions_are_fine():
    first = LiveSessionFactory()
    LiveSessionFactory(starts_at=first.starts_at, ends_at=first.ends_at)  # another player, same time
    LiveSessionFactory(player=first.player, starts_at=first.ends_at, ends_at=first.ends_at + timedelta(minutes=30))
    assert db.session.scalar(select(db.func.count()).select_from(LiveSession)) >= 3


def test_another_integrity_error_is_not_an_overlap():
    user = FanFactory()
    duplicate = User(email=user.email, password_hash="x", role="fan", timezone="UTC", display_name="Twin")
    db.session.add(duplicate)
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    db.session.rollback()
    assert not is_overlap_violation(caught.value)


# --- Which errors pass ---------------------------------------------------------------------------------


def failing(sql: str) -> OperationalError | Exception:
    with pytest.raises(Exception) as caught:
        db.session.execute(text(sql))
    db.session.rollback()
    return caught.value


def test_a_query_the_database_does_not_understand_is_a_bug_not_an_outage():
    error = failing("SELECT 1 + INTERVAL '1 minute' FROM nowhere_at_all")
    assert not dialects.is_transient(error)


@pytest.mark.parametrize(
    ("orig", "transient"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("near \"'1 minute'\": syntax error"), False),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (psycopg.errors.SerializationFailure("could not serialize"), True),
        (psycopg.errors.LockNotAvailable("lock timeout"), True),
        (psycopg.errors.UndefinedTable("no such table"), False),
        (psycopg.OperationalError("connection refused"), True),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, bool) else str(value),
)
def test_errors_that_pass_are_told_from_bugs(orig, transient):
    if isinstance(orig, sqlite3.Error):
        orig.sqlite_errorcode = 5 if "locked" in str(orig) else 1  # SQLITE_BUSY, SQLITE_ERROR
    error = OperationalError("SELECT 1", {}, orig)
    assert dialects.is_transient(error) is transient


# --- Every statement built up front prepares on both databases -----------------------------------------

STATEMENT_TYPES = (Select, CompoundSelect, Insert, Update, Delete)


def prebuilt_statements() -> list[tuple[str, object]]:
    """Every SQLAlchemy statement kept at module level anywhere in the app (they run unseen otherwise)."""
    found, seen = [], set()
    for module_info in pkgutil.walk_packages(kendama.__path__, "kendama."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, (*STATEMENT_TYPES, PerDialect)) and id(value) not in seen:
                seen.add(id(value))
                found.append((f"{module_info.name}.{name}", value))
    return found


def test_the_scan_finds_the_booking_and_slot_reads():
    names = {name for name, _ in prebuilt_statements()}
    assert {"kendama.services.booking.lifecycle._BOOKING_READ", "kendama.services.booking.slots._CONFLICTS"} <= names
    assert "kendama.services.notifications.outbox._INSERT_ROWS" in names


def prepare(statement) -> None:
    """Make the database parse and plan the statement (EXPLAIN) without running it; every value NULL."""
    connection = db.session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    values = {name: [None] if bind.expanding else None for name, bind in compiled.binds.items()}
    expanded = compiled.construct_expanded_state(values)
    parameters = expanded.positional_parameters if compiled.positional else expanded.parameters
    prefix = "EXPLAIN QUERY PLAN " if connection.dialect.name == "sqlite" else "EXPLAIN "
    connection.exec_driver_sql(prefix + expanded.statement, parameters)


@pytest.mark.parametrize("name", [name for name, _ in prebuilt_statements()])
def test_every_prebuilt_statement_prepares(name):
    statement = dict(prebuilt_statements())[name]
    prepare(statement.get() if isinstance(statement, PerDialect) else statement)
