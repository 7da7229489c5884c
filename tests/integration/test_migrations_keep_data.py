"""Migrations never lose data: a populated database goes through `flask db upgrade` with every row kept.

Whatever the migration history holds when this runs: the database is upgraded from empty to
head, filled through the models, and then
- with one revision (the initial schema), upgraded again, which must be a no-op that keeps
  every row byte for byte;
- with more, the newest revision is taken down and up again, and every row of every table that
  exists on both sides must still be there.
The dump-and-restore round trip of a populated database is tests/integration/test_backup_restore.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from kendama import create_app
from kendama.extensions import db, migrate
from kendama.models import Refund, SessionRecording, utcnow
from kendama.services.notifications import outbox

from ..support import postgres
from ..support.booking_helpers import mark_paid
from ..support.factories import AdminFactory, LiveSessionFactory, PlayerFactory


@pytest.fixture
def scratch_app():
    url = postgres.create_database("kendama_migrate_data")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    postgres.drop_database(url)


def populate() -> None:
    """A little of everything: people, profiles, availability, sessions, money, outbox, recordings."""
    AdminFactory()
    PlayerFactory(setup__verified=False)
    free = LiveSessionFactory()
    paid = LiveSessionFactory(player=PlayerFactory(setup__paid=True), price_amount=2500, platform_fee_amount=375)
    payment = mark_paid(paid)
    past = utcnow() - timedelta(days=2)
    done = LiveSessionFactory(
        player=free.player,
        starts_at=past,
        ends_at=past + timedelta(minutes=30),
        blocked_until=past + timedelta(minutes=30),
        status="completed",
    )
    db.session.add_all(
        [
            Refund(
                session_id=paid.id,
                payment_id=payment.id,
                amount=1250,
                currency="usd",
                idempotency_key=f"keep-{paid.id}",
            ),
            SessionRecording(
                session_id=done.id, provider_recording_id=f"rec-{done.id}", status="ready", captions_vtt="WEBVTT\n"
            ),
        ]
    )
    outbox.on_confirmed(free)
    db.session.commit()


def snapshot() -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows' text."""
    found = {}
    with db.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            if table == "alembic_version":
                continue
            found[table] = connection.execute(
                text(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \"{table}\" t"
                )
            ).one()
    return {table: tuple(row) for table, row in found.items()}


@pytest.mark.committed
def test_upgrading_a_populated_database_keeps_every_row(scratch_app):
    with scratch_app.app_context():
        upgrade()
        populate()
        db.session.remove()
        before = snapshot()
        assert sum(count for count, _ in before.values()) >= 20
        assert all(before[table][0] > 0 for table in ("users", "sessions", "payments", "refunds", "notifications"))

        revisions = list(ScriptDirectory.from_config(migrate.get_config()).walk_revisions())
        if len(revisions) > 1:
            downgrade(revision="-1")
            upgrade()
            after = snapshot()
            common = before.keys() & after.keys()
            assert {t: after[t][0] for t in common} == {t: before[t][0] for t in common}
        else:
            upgrade()  # already at head: nothing to do, and nothing may change
            assert snapshot() == before
        db.engine.dispose()
