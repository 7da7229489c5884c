"""Seeing which rows a service locks: the SELECT ... FOR UPDATE statements PostgreSQL runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from kendama.extensions import db


@contextmanager
def row_locks(table: str) -> Iterator[list[str]]:
    """The statements that lock rows of `table` while the block runs (skips on SQLite, which has no row locks)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if f"FROM {table}" in statement and "FOR UPDATE" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
