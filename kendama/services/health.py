"""Health checks: can this process reach what it needs to serve requests?"""

from __future__ import annotations

from dataclasses import dataclass, field

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..queueing import redis_connection


@dataclass
class HealthReport:
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(value in ("ok", "not configured") for value in self.checks.values())

    def as_dict(self) -> dict:
        return {"status": "ok" if self.ok else "unavailable", "checks": self.checks}


def check(require_current_schema: bool = False) -> HealthReport:
    """Database and Redis reachable; with `require_current_schema`, migrations are applied too."""
    report = HealthReport()
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            if require_current_schema:
                report.checks["migrations"] = _schema_state(connection)
        report.checks["database"] = "ok"
    except SQLAlchemyError:
        report.checks["database"] = "unreachable"
    report.checks["redis"] = _redis_state()
    return report


def _schema_state(connection) -> str:
    migrate = current_app.extensions["migrate"]
    head = ScriptDirectory.from_config(migrate.migrate.get_config()).get_current_head()
    current = MigrationContext.configure(connection).get_current_revision()
    return "ok" if current == head else f"pending (at {current}, head {head})"


def _redis_state() -> str:
    conn = redis_connection()
    if conn is None:
        return "not configured"
    try:
        conn.ping()
    except RedisError:
        return "unreachable"
    return "ok"
