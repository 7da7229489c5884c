"""SQLite settings for the embedded default: enforce foreign keys, allow concurrent readers."""

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def init_app(app) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from .extensions import db

    with app.app_context():
        engine: Engine = db.engine
        if not getattr(engine, "_kendama_pragmas", False):
            event.listen(engine, "connect", _on_connect)
            engine._kendama_pragmas = True
