"""sessions hold their time until cancelled, on PostgreSQL and SQLite

A session completed or marked a no-show early used to free its slot, so a second booking could
overlap it. Now every session but a cancelled one holds [starts_at, blocked_until): on PostgreSQL
the exclusion constraint covers every status but 'cancelled'; on SQLite, which had no guard at
all, triggers refuse the same rows (see kendama/dialects.py; the statements are frozen here).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

POSTGRESQL_BEFORE = (
    "ALTER TABLE sessions ADD CONSTRAINT ex_sessions_player_no_overlap EXCLUDE USING gist "
    "(player_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&) "
    "WHERE (status IN ('pending_payment', 'confirmed', 'in_progress'))"
)
POSTGRESQL_AFTER = (
    "ALTER TABLE sessions ADD CONSTRAINT ex_sessions_player_no_overlap EXCLUDE USING gist "
    "(player_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&) "
    "WHERE (status NOT IN ('cancelled'))"
)
_SQLITE_OVERLAPPING = (
    "SELECT RAISE(ABORT, 'ex_sessions_player_no_overlap') WHERE EXISTS (SELECT 1 FROM sessions AS other "
    "WHERE other.player_id = NEW.player_id AND other.id IS NOT NEW.id AND other.status NOT IN ('cancelled') "
    "AND other.starts_at < NEW.blocked_until AND other.blocked_until > NEW.starts_at)"
)
SQLITE_TRIGGERS = {
    "ex_sessions_player_no_overlap_insert": "CREATE TRIGGER ex_sessions_player_no_overlap_insert BEFORE INSERT "
    f"ON sessions WHEN NEW.status NOT IN ('cancelled') BEGIN {_SQLITE_OVERLAPPING}; END",
    "ex_sessions_player_no_overlap_update": "CREATE TRIGGER ex_sessions_player_no_overlap_update BEFORE UPDATE OF "
    "player_id, starts_at, blocked_until, status ON sessions WHEN NEW.status NOT IN ('cancelled') "
    f"BEGIN {_SQLITE_OVERLAPPING}; END",
}
# Pairs of sessions that the new rule refuses: they must be resolved by a person, not by a migration.
OVERLAPS = sa.text(
    "SELECT a.id, b.id FROM sessions a JOIN sessions b ON a.player_id = b.player_id AND a.id < b.id "
    "WHERE a.status <> 'cancelled' AND b.status <> 'cancelled' "
    "AND a.starts_at < b.blocked_until AND a.blocked_until > b.starts_at"
)


def _refuse_existing_overlaps() -> None:
    pairs = op.get_bind().execute(OVERLAPS).all()
    if pairs:
        listed = ", ".join(f"{a} and {b}" for a, b in pairs[:20])
        raise RuntimeError(
            f"These sessions overlap a session of the same player: {listed}. Cancel one of each pair "
            "(an administrator can, with a full refund), then run the migration again."
        )


def upgrade():
    _refuse_existing_overlaps()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sessions DROP CONSTRAINT ex_sessions_player_no_overlap")
        op.execute(POSTGRESQL_AFTER)
    else:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sessions DROP CONSTRAINT ex_sessions_player_no_overlap")
        op.execute(POSTGRESQL_BEFORE)
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
