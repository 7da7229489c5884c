"""Migrations build the same schema as the models, upgrade from empty and downgrade to empty."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from kendama import create_app
from kendama.extensions import db

from .. import postgres


@pytest.fixture
def scratch_app():
    url = postgres.create_database("kendama_migrate")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    yield app, url
    with app.app_context():
        db.engine.dispose()
    postgres.drop_database(url)


@pytest.mark.committed
def test_upgrade_matches_models_then_downgrades(scratch_app):
    app, url = scratch_app
    with app.app_context():
        upgrade()
        engine = create_engine(url)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": False}), db.metadata)
            constraint = connection.execute(
                text("SELECT count(*) FROM pg_constraint WHERE conname = 'ex_sessions_player_no_overlap'")
            ).scalar()
        assert diff == [], diff
        assert constraint == 1
        downgrade(revision="base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        engine.dispose()


@pytest.mark.committed
def test_upgrade_on_sqlite(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite3'}"})
    with app.app_context():
        upgrade()
        assert "sessions" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        db.engine.dispose()
