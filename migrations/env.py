"""Alembic environment: runs migrations with the app's own database connection."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from alembic import context
from flask import current_app

from kendama.models import UTCDateTime

log = logging.getLogger("alembic.env")
config = context.config


def render_item(type_, obj, autogen_context):
    """Write our UTC column type as the plain timestamp it is in the database."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def skip_empty_revisions(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


@contextmanager
def _foreign_keys_off_on_sqlite(connection):
    """SQLite rebuilds a table to change a column (copy, drop, rename: batch mode); with foreign keys
    enforced, dropping the old table would delete (ON DELETE CASCADE) or refuse the rows pointing at
    it. The pragma only takes effect outside a transaction, so it is set on the driver's connection
    (in autocommit, kendama/dialects.py) before the migrations' transaction begins, and set back after."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        connection.rollback()
        raw.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    engine = current_app.extensions["migrate"].db.engine
    metadata = current_app.extensions["migrate"].db.metadata
    with engine.connect() as connection, _foreign_keys_off_on_sqlite(connection):
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_item=render_item,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
            process_revision_directives=skip_empty_revisions,
        )
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=str(current_app.extensions["migrate"].db.engine.url).replace("%", "%%"),
        target_metadata=current_app.extensions["migrate"].db.metadata,
        render_item=render_item,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
