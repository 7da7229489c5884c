"""Migrations build the same schema as the models, upgrade from empty and downgrade to empty, on
PostgreSQL and on SQLite, with the overlap guard of each (kendama/dialects.py) in place."""

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from kendama import create_app
from kendama.dialects import OVERLAP_GUARD
from kendama.extensions import db
from kendama.models import utcnow

from ..support import postgres
from ..support.factories import LiveSessionFactory


@pytest.fixture
def scratch_app():
    url = postgres.create_database("kendama_migrate")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    yield app, url
    with app.app_context():
        db.engine.dispose()
    postgres.drop_database(url)


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite3'}"})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.committed
def test_upgrade_matches_models_then_downgrades(scratch_app):
    app, url = scratch_app
    with app.app_context():
        upgrade()
        engine = create_engine(url)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": False}), db.metadata)
            guard = connection.execute(
                text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name"),
                {"name": OVERLAP_GUARD},
            ).scalar()
        assert diff == [], diff
        assert guard is not None and "<> 'cancelled'" in guard
        downgrade(revision="base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        engine.dispose()


def sqlite_triggers() -> set[str]:
    return set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))


def overlapping_pair() -> None:
    """A session completed early, then another of the same player at the same time."""
    first = LiveSessionFactory(status="completed")
    LiveSessionFactory(player=first.player, starts_at=first.starts_at + timedelta(minutes=10))


@pytest.mark.committed
def test_upgrade_on_sqlite_adds_the_overlap_guard_and_downgrades(sqlite_app):
    with sqlite_app.app_context():
        upgrade()
        assert "sessions" in inspect(db.engine).get_table_names()
        assert sqlite_triggers() == {f"{OVERLAP_GUARD}_insert", f"{OVERLAP_GUARD}_update"}
        with pytest.raises(IntegrityError, match=OVERLAP_GUARD):
            overlapping_pair()
        db.session.rollback()
        downgrade(revision="base")
        assert sqlite_triggers() == set()


@pytest.mark.committed
def test_the_upgrade_refuses_sessions_that_already_overlap(sqlite_app, caplog):
    """Before 0002 a session completed early freed its slot; such pairs are named, not silently kept."""
    with sqlite_app.app_context():
        upgrade(revision="0001")
        # The factories write today's models: give 0001's tables the columns added since (0003, 0005, 0009).
        db.session.execute(text("ALTER TABLE users ADD COLUMN email_confirmed_at DATETIME"))
        db.session.execute(text("ALTER TABLE users ADD COLUMN progress_shared_with_players BOOLEAN DEFAULT 0"))
        db.session.execute(text("ALTER TABLE users ADD COLUMN birth_year INTEGER"))
        db.session.execute(text("ALTER TABLE sessions ADD COLUMN goal_note TEXT DEFAULT ''"))
        db.session.execute(text("ALTER TABLE sessions ADD COLUMN fan_is_minor BOOLEAN DEFAULT 0"))
        overlapping_pair()
        db.session.remove()
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits, as `flask db upgrade` does
            upgrade()
        assert "These sessions overlap a session of the same player: 1 and 2" in caplog.text
        assert sqlite_triggers() == set()


@pytest.mark.committed
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_0003_counts_existing_accounts_as_confirmed_and_goes_down_without_losing_rows(request, database):
    """Accounts from before 0003 stay usable; on SQLite nothing that cascades from a user is lost either way."""
    app = request.getfixturevalue("sqlite_app" if database == "sqlite" else "scratch_app")
    app = app[0] if isinstance(app, tuple) else app
    with app.app_context():
        upgrade(revision="0002")
        db.session.execute(
            text(
                "INSERT INTO users (email, password_hash, role, timezone, display_name, is_active_account, "
                "auth_version, email_reminders, email_feedback_requests, created_at) VALUES "
                "('old@example.com', 'x', 'fan', 'UTC', 'Old', true, 1, true, true, :made), "
                "('other@example.com', 'x', 'player', 'UTC', 'Other', true, 1, true, true, :made)"
            ),
            {"made": utcnow() - timedelta(days=400)},
        )
        db.session.execute(
            text(
                "INSERT INTO profiles (user_id, bio, accepts_bookings, currency, recording_default, sharing_default, "
                "verification_state, verification_note, payout_state, charges_enabled, payouts_enabled, updated_at) "
                "SELECT id, '', false, 'usd', false, false, 'unverified', '', 'none', false, false, created_at "
                "FROM users WHERE email = 'other@example.com'"
            )
        )
        db.session.commit()
        upgrade()
        made, confirmed = db.session.execute(
            text("SELECT created_at, email_confirmed_at FROM users WHERE email = 'old@example.com'")
        ).one()
        assert confirmed == made
        assert "sign_ins" in inspect(db.engine).get_table_names()
        db.session.remove()  # PostgreSQL: an open read would hold the lock that ALTER TABLE waits for
        downgrade(revision="0002")
        assert db.session.scalar(text("SELECT count(*) FROM profiles")) == 1
        assert db.session.scalar(text("SELECT count(*) FROM users")) == 2
        assert "sign_ins" not in inspect(db.engine).get_table_names()
        db.session.remove()
