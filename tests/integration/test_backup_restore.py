"""The documented backup procedure works: pg_dump, then pg_restore into an empty database."""

import shutil
import subprocess

import pytest
from sqlalchemy import create_engine, func, select

from kendama.models import LiveSession, User

from ..support import postgres
from ..support.factories import LiveSessionFactory

pytestmark = pytest.mark.skipif(shutil.which("pg_dump") is None, reason="PostgreSQL client tools missing")


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.mark.committed
def test_dump_and_restore_round_trip(app, tmp_path):
    """Populate a database, dump it in custom format, restore into a new one, compare."""
    source = postgres.create_database("kendama_backup_src")
    target = postgres.create_database("kendama_backup_dst")
    try:
        from kendama import create_app
        from kendama.extensions import db

        source_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": source})
        with source_app.app_context():
            db.create_all()
            sessions = [LiveSessionFactory() for _ in range(3)]
            expected = sorted((s.id, s.starts_at, s.fan.email) for s in sessions)
            db.session.remove()
            db.engine.dispose()

        dump = tmp_path / "kendama.dump"
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _dsn(source)], check=True)
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_dsn(target)}", str(dump)], check=True
        )

        engine = create_engine(target)
        with engine.connect() as connection:
            restored = sorted(
                (row.id, row.starts_at, row.email)
                for row in connection.execute(
                    select(LiveSession.id, LiveSession.starts_at, User.email).join(User, User.id == LiveSession.fan_id)
                )
            )
            assert restored == expected
            assert connection.scalar(select(func.count()).select_from(User)) == 6
            # The overlap guard survives the restore.
            assert (
                connection.exec_driver_sql(
                    "SELECT count(*) FROM pg_constraint WHERE conname = 'ex_sessions_player_no_overlap'"
                ).scalar()
                == 1
            )
        engine.dispose()
    finally:
        postgres.drop_database(source)
        postgres.drop_database(target)
