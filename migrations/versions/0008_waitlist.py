"""waitlists: fans in line for a player's day, and the slot held for the first of them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("fan_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offer_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offer_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offer_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state in ('waiting','offered','booked','left','lapsed')", name=op.f("ck_waitlist_entries_waitlist_state")
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"], ["users.id"], name=op.f("fk_waitlist_entries_fan_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["users.id"], name=op.f("fk_waitlist_entries_player_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
        sa.UniqueConstraint(
            "player_id", "fan_id", "day", "duration_minutes", name="uq_waitlist_place"
        ),
    )
    op.create_index("ix_waitlist_entries_player_state", "waitlist_entries", ["player_id", "state"], unique=False)


def downgrade():
    op.drop_index("ix_waitlist_entries_player_state", table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
