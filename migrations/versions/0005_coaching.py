"""the coaching layer: trick catalog (seeded), players' tricks, goals, clips, coach notes, progress

`tricks` starts with the catalog in kendama/models/trick_seed.py as it stands at this revision;
later catalog changes come in their own migrations. `sessions.goal_note` and
`users.progress_shared_with_players` start empty / off for existing rows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:30:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from kendama.models.trick_seed import SEED_TRICKS

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tricks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("family", sa.String(length=24), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "family in ('cups','spike','airplane_lighthouse','juggles','balance')", name=op.f("ck_tricks_family")
        ),
        sa.CheckConstraint("level between 1 and 10", name=op.f("ck_tricks_level_range")),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["tricks.id"], name=op.f("fk_tricks_merged_into_id_tricks"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tricks")),
        sa.UniqueConstraint("name", name=op.f("uq_tricks_name")),
    )
    _seed_tricks()
    op.create_table(
        "clip_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_clip_access_log_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clip_access_log")),
    )
    op.create_index(op.f("ix_clip_access_log_clip_id"), "clip_access_log", ["clip_id"], unique=False)
    op.create_table(
        "player_tricks",
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("trick_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["users.id"], name=op.f("fk_player_tricks_player_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["trick_id"], ["tricks.id"], name=op.f("fk_player_tricks_trick_id_tricks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("player_id", "trick_id", name=op.f("pk_player_tricks")),
    )
    op.create_index(op.f("ix_player_tricks_trick_id"), "player_tricks", ["trick_id"], unique=False)
    op.create_table(
        "practice_clips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_practice_clips_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["uploader_id"], ["users.id"], name=op.f("fk_practice_clips_uploader_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_clips")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_practice_clips_storage_key")),
    )
    op.create_index(op.f("ix_practice_clips_session_id"), "practice_clips", ["session_id"], unique=False)
    op.create_table(
        "progress_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("fan_id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("trick_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=280), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state in ('landed','closer','not_yet')", name=op.f("ck_progress_marks_state")),
        sa.ForeignKeyConstraint(
            ["fan_id"], ["users.id"], name=op.f("fk_progress_marks_fan_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["player_id"], ["users.id"], name=op.f("fk_progress_marks_player_id_users")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_progress_marks_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["trick_id"], ["tricks.id"], name=op.f("fk_progress_marks_trick_id_tricks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_marks")),
        sa.UniqueConstraint("session_id", "trick_id", name="uq_progress_marks_session_trick"),
    )
    op.create_index(op.f("ix_progress_marks_fan_id"), "progress_marks", ["fan_id"], unique=False)
    op.create_table(
        "session_goals",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("trick_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("position between 1 and 3", name=op.f("ck_session_goals_position_range")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_session_goals_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["trick_id"], ["tricks.id"], name=op.f("fk_session_goals_trick_id_tricks")),
        sa.PrimaryKeyConstraint("session_id", "trick_id", name=op.f("pk_session_goals")),
        sa.UniqueConstraint("session_id", "position", name="uq_session_goals_position"),
    )
    op.create_table(
        "coach_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.Column("at_seconds", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("trick_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source in ('note','marker')", name=op.f("ck_coach_notes_source")),
        sa.CheckConstraint("at_seconds >= 0", name=op.f("ck_coach_notes_at_not_negative")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_coach_notes_author_id_users")),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["session_recordings.id"],
            name=op.f("fk_coach_notes_recording_id_session_recordings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_coach_notes_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["trick_id"], ["tricks.id"], name=op.f("fk_coach_notes_trick_id_tricks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_notes")),
    )
    op.create_index(op.f("ix_coach_notes_session_id"), "coach_notes", ["session_id"], unique=False)
    # Plain ADD COLUMN, never a batch copy: on SQLite, rebuilding `users` would cascade-delete
    # what hangs off each user.
    op.add_column("sessions", sa.Column("goal_note", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "users", sa.Column("progress_shared_with_players", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade():
    op.execute("ALTER TABLE users DROP COLUMN progress_shared_with_players")
    op.execute("ALTER TABLE sessions DROP COLUMN goal_note")
    op.drop_index(op.f("ix_coach_notes_session_id"), table_name="coach_notes")
    op.drop_table("coach_notes")
    op.drop_table("session_goals")
    op.drop_index(op.f("ix_progress_marks_fan_id"), table_name="progress_marks")
    op.drop_table("progress_marks")
    op.drop_index(op.f("ix_practice_clips_session_id"), table_name="practice_clips")
    op.drop_table("practice_clips")
    op.drop_index(op.f("ix_player_tricks_trick_id"), table_name="player_tricks")
    op.drop_table("player_tricks")
    op.drop_index(op.f("ix_clip_access_log_clip_id"), table_name="clip_access_log")
    op.drop_table("clip_access_log")
    op.drop_table("tricks")


def _seed_tricks():
    tricks = sa.table(
        "tricks",
        sa.column("name", sa.String),
        sa.column("aliases", sa.JSON),
        sa.column("level", sa.SmallInteger),
        sa.column("family", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as UTCDateTime stores it there
    op.bulk_insert(
        tricks,
        [
            {"name": name, "aliases": list(aliases), "level": level, "family": family, "created_at": now}
            for name, aliases, level, family in SEED_TRICKS
        ],
    )
