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
from ..integrations.stripe.sandbox import config as stripe_sandbox
from ..integrations.video.sandbox import config as video_sandbox
from ..start_checks import PROVIDER_SETTINGS
from ..tasks.queue import redis_connection


@dataclass
class HealthReport:
    checks: dict[str, str] = field(default_factory=dict)
    # For operators (readiness only): how payments and video are configured. Informative, never
    # failing the check: production runs with them unset while live sessions are off.
    configuration: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(value in ("ok", "not configured") for value in self.checks.values())

    def as_dict(self) -> dict:
        answer = {"status": "ok" if self.ok else "unavailable", "checks": self.checks}
        if self.configuration:
            answer["configuration"] = self.configuration
        return answer


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


def readiness() -> HealthReport:
    """The health check with migrations applied, and how payments and video are configured."""
    report = check(require_current_schema=True)
    sandboxes = {"payments": stripe_sandbox.enabled(current_app), "video": video_sandbox.enabled(current_app)}
    for kind, names in PROVIDER_SETTINGS.items():
        report.configuration[kind] = _provider_state(names, sandboxes[kind])
    return report


def _provider_state(names: tuple[str, ...], sandbox: bool) -> str:
    """ok; sandbox (the offline stand-in, outside production); or which settings are missing."""
    if sandbox:
        return "sandbox"
    missing = [name for name in names if not current_app.config.get(name)]
    return f"not configured: {', '.join(missing)} unset" if missing else "ok"


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
