"""The SQL that only one database understands, with the other database's form beside it.

The product runs on PostgreSQL in production and on SQLite as the embedded default (no
configuration at all), and the same services drive both. Everything here is tested on both
(tests/integration/test_dialects.py); nothing outside this module writes dialect-specific SQL.

- `epoch_seconds(ts)` and `plus_minutes(ts, minutes)`: timestamp arithmetic in SQL.
  PostgreSQL keeps `timestamptz`; SQLite keeps UTC text in SQLAlchemy's fixed format
  `YYYY-MM-DD HH:MM:SS.ffffff`, so text comparison is time order and computed times are
  written back in that same format.
- `PerDialect`: a statement built once per dialect (`INSERT .. ON CONFLICT DO NOTHING` is a
  dialect construct in SQLAlchemy), picked by the database the session talks to.
- The overlap guard: no two sessions of one player that block time may overlap. PostgreSQL has
  an exclusion constraint; SQLite gets triggers that refuse the same rows. Either refusal is
  recognised by `is_overlap_violation`.
- `is_transient`: a database error worth a 503 and a retry (a lost connection, a lock timeout),
  as opposed to a programming error (a 500).
- SQLite connections: foreign keys on, WAL so readers never wait, a busy timeout, and real
  transactions. Python's sqlite3 driver would start transactions only at the first write, so
  SAVEPOINTs and read consistency break (SQLAlchemy's documentation on pysqlite explains it); here
  SQLAlchemy emits BEGIN itself. Transactions of requests that may write (any method but GET,
  HEAD and OPTIONS) and of jobs (`writer()`) begin IMMEDIATE, taking SQLite's single write lock
  up front: a transaction that read first and wrote later would otherwise fail with "database is
  locked" when another writer got in between, where PostgreSQL would have made it wait. So two
  bookings racing for one slot run one after the other, and the second is refused with a 409.
  Everything else (pages, and code outside requests and jobs such as commands) begins deferred and
  reads without blocking anyone; should it write after all, it turns IMMEDIATE just before its
  first write (it has only read, so it starts again on a fresh snapshot, and later statements see
  what others committed meanwhile, as under PostgreSQL's READ COMMITTED). Inside a SAVEPOINT it
  cannot restart, and writes as it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

import psycopg
from flask import has_request_context, request
from sqlalchemy import Float, Insert, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

T = TypeVar("T")

OVERLAP_GUARD = "ex_sessions_player_no_overlap"  # the constraint's name, and the triggers' message

# --- Timestamp arithmetic ------------------------------------------------------------------


class epoch_seconds(FunctionElement):  # noqa: N801 - reads as the SQL function it compiles to
    """A timestamp as POSIX seconds, computed by the database."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_postgresql(element, compiler, **kw):
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # The stored text is UTC; strftime('%s') reads it as UTC.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS REAL)"


class plus_minutes(FunctionElement):  # noqa: N801
    """`timestamp + minutes`, where minutes is an integer expression; typed as the timestamp."""

    inherit_cache = True

    def __init__(self, timestamp, minutes):
        super().__init__(timestamp, minutes)
        self.type = timestamp.type


@compiles(plus_minutes)
def _plus_minutes_postgresql(element, compiler, **kw):
    timestamp, minutes = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({timestamp} + {minutes} * INTERVAL '1 minute')"


@compiles(plus_minutes, "sqlite")
def _plus_minutes_sqlite(element, compiler, **kw):
    timestamp, minutes = (compiler.process(clause, **kw) for clause in element.clauses)
    # Whole seconds moved by strftime, the stored fraction (".ffffff", from character 20) kept,
    # so the result has the storage format and compares as text like the stored values.
    return f"(strftime('%Y-%m-%d %H:%M:%S', {timestamp}, ({minutes}) || ' minutes') || substr({timestamp}, 20))"


# --- Statements built per dialect ------------------------------------------------------------


class PerDialect(Generic[T]):
    """One statement per dialect, built once; `get()` gives the one the session's database speaks."""

    def __init__(self, **by_dialect: T):
        self._by_dialect = by_dialect

    def get(self) -> T:
        from .extensions import db

        return self._by_dialect[db.session.get_bind().dialect.name]


def insert_skipping_duplicates(target, key, *returning) -> PerDialect[Insert]:
    """`INSERT .. ON CONFLICT (key) DO NOTHING RETURNING ..`, which SQLAlchemy builds per dialect."""
    return PerDialect(
        postgresql=postgresql.insert(target).on_conflict_do_nothing(index_elements=[key]).returning(*returning),
        sqlite=sqlite.insert(target).on_conflict_do_nothing(index_elements=[key]).returning(*returning),
    )


# --- The overlap guard ---------------------------------------------------------------------------


def overlap_guard_ddl(dialect: str, released_statuses: Sequence[str]) -> list[str]:
    """Statements that make the database refuse overlapping sessions of one player.

    A session holds [starts_at, blocked_until) unless its status is one of `released_statuses`.
    Migrations keep their own frozen copy of what this returns.
    """
    released = ", ".join(f"'{status}'" for status in released_statuses)
    if dialect == "postgresql":
        return [
            "CREATE EXTENSION IF NOT EXISTS btree_gist",
            f"ALTER TABLE sessions ADD CONSTRAINT {OVERLAP_GUARD} EXCLUDE USING gist "
            f"(player_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&) "
            f"WHERE (status NOT IN ({released}))",
        ]
    overlapping = (
        f"SELECT RAISE(ABORT, '{OVERLAP_GUARD}') WHERE EXISTS (SELECT 1 FROM sessions AS other "
        f"WHERE other.player_id = NEW.player_id AND other.id IS NOT NEW.id AND other.status NOT IN ({released}) "
        f"AND other.starts_at < NEW.blocked_until AND other.blocked_until > NEW.starts_at)"
    )
    return [
        f"CREATE TRIGGER {OVERLAP_GUARD}_insert BEFORE INSERT ON sessions "
        f"WHEN NEW.status NOT IN ({released}) BEGIN {overlapping}; END",
        f"CREATE TRIGGER {OVERLAP_GUARD}_update BEFORE UPDATE OF player_id, starts_at, blocked_until, status "
        f"ON sessions WHEN NEW.status NOT IN ({released}) BEGIN {overlapping}; END",
    ]


def is_overlap_violation(exc: IntegrityError) -> bool:
    """The overlap guard's refusal (SQLSTATE 23P01, or the triggers' message), not another integrity error."""
    if isinstance(exc.orig, psycopg.errors.ExclusionViolation):
        return True
    return isinstance(exc.orig, sqlite3.IntegrityError) and OVERLAP_GUARD in str(exc.orig)


# --- Which errors are passing ------------------------------------------------------------------

# PostgreSQL SQLSTATE classes of trouble that may pass: connection exceptions, transaction
# rollbacks (serialization failures, deadlocks), insufficient resources, operator intervention
# (statement timeouts, shutdowns), system errors; plus 55P03, a lock that could not be had.
_PASSING_SQLSTATE_CLASSES = {"08", "40", "53", "57", "58"}
# SQLite result codes of the same kind: busy, locked, I/O error, disk full, cannot open, protocol.
_PASSING_SQLITE_CODES = {5, 6, 10, 13, 14, 15}


def is_transient(exc: DBAPIError) -> bool:
    """True when retrying later may succeed (the database is down or busy), False for a bug."""
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, psycopg.Error):
        sqlstate = orig.sqlstate
        return sqlstate is None or sqlstate[:2] in _PASSING_SQLSTATE_CLASSES or sqlstate == "55P03"
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _PASSING_SQLITE_CODES
    return False


# --- SQLite connections -----------------------------------------------------------------------

BUSY_TIMEOUT_MS = 10_000  # how long a transaction waits for SQLite's write lock before giving up
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _on_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy begins transactions itself (_on_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


_WRITER: ContextVar[bool] = ContextVar("kendama_sqlite_writer", default=False)


@contextmanager
def writer() -> Iterator[None]:
    """Run the code inside as a writer: its SQLite transactions begin IMMEDIATE (jobs use it)."""
    token = _WRITER.set(True)
    try:
        yield
    finally:
        _WRITER.reset(token)


_DEFERRED = "kendama_sqlite_deferred"  # connection.info: the open transaction began deferred and has not written
# Statements that leave the database as it was; any other (DML, DDL) is a write.
_READS = ("SELECT", "WITH", "PRAGMA", "EXPLAIN", "SAVEPOINT", "RELEASE", "ROLLBACK")


def _on_begin(connection) -> None:
    writes = _WRITER.get() or (has_request_context() and request.method not in READ_ONLY_METHODS)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
    connection.info[_DEFERRED] = not writes


def _before_execute(connection, cursor, statement: str, _parameters, _context, _executemany) -> None:
    if not connection.info.get(_DEFERRED) or statement.lstrip()[:9].upper().startswith(_READS):
        return
    connection.info[_DEFERRED] = False
    if cursor.connection.in_transaction and not connection.in_nested_transaction():
        cursor.execute("ROLLBACK")
        cursor.execute("BEGIN IMMEDIATE")


def _on_end(connection) -> None:
    connection.info.pop(_DEFERRED, None)


def configure_sqlite(engine: Engine) -> None:
    """Set up an SQLite engine as described in the module docstring (once per engine)."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_kendama_sqlite", False):
        return
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "before_cursor_execute", _before_execute)
    event.listen(engine, "commit", _on_end)
    event.listen(engine, "rollback", _on_end)
    engine._kendama_sqlite = True


def init_app(app) -> None:
    from .extensions import db

    with app.app_context():
        configure_sqlite(db.engine)
