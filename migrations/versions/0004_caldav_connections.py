"""two-way calendars: CalDAV connections, session event writes, busy times by source

`calendar_connections` holds each player's CalDAV account (the app password Fernet-encrypted);
`calendar_event_writes` is the outbox of sessions whose copy in that calendar is out of date.
`calendar_busy_times.source` tells the iCal feed's rows from the CalDAV account's, so each sync
replaces only its own; every existing row came from the feed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_connections",
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("server_url", sa.String(length=2048), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("password_secret", sa.Text(), nullable=False),
        sa.Column("calendars", sa.JSON(), nullable=False),
        sa.Column("busy_calendar_urls", sa.JSON(), nullable=False),
        sa.Column("write_calendar_url", sa.String(length=2048), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("busy_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["users.id"], name=op.f("fk_calendar_connections_player_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_calendar_connections")),
    )
    op.create_index(
        op.f("ix_calendar_connections_next_sync_at"), "calendar_connections", ["next_sync_at"], unique=False
    )
    op.create_table(
        "calendar_event_writes",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("written_calendar_url", sa.String(length=2048), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_calendar_event_writes_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["users.id"], name=op.f("fk_calendar_event_writes_player_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_calendar_event_writes")),
    )
    op.create_index(op.f("ix_calendar_event_writes_due_at"), "calendar_event_writes", ["due_at"], unique=False)
    op.create_index(op.f("ix_calendar_event_writes_player_id"), "calendar_event_writes", ["player_id"], unique=False)
    op.add_column(
        "calendar_busy_times", sa.Column("source", sa.String(length=16), server_default="feed", nullable=False)
    )


def downgrade():
    op.execute("ALTER TABLE calendar_busy_times DROP COLUMN source")
    op.drop_index(op.f("ix_calendar_event_writes_player_id"), table_name="calendar_event_writes")
    op.drop_index(op.f("ix_calendar_event_writes_due_at"), table_name="calendar_event_writes")
    op.drop_table("calendar_event_writes")
    op.drop_index(op.f("ix_calendar_connections_next_sync_at"), table_name="calendar_connections")
    op.drop_table("calendar_connections")
