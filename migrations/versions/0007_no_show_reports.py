"""no-show reports: the fan may report that the player did not come, the player may dispute it

Sessions already marked a no-show (by the player, before this revision) get no report: their
outcome was the policy's, and nothing is open about them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "no_show_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("absent", sa.String(length=8), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispute_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispute_statement", sa.Text(), nullable=True),
        sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.CheckConstraint("absent in ('fan','player')", name=op.f("ck_no_show_reports_no_show_absent")),
        sa.CheckConstraint(
            "outcome in ('fan_absent','open','disputed','refunded','rejected')",
            name=op.f("ck_no_show_reports_no_show_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_no_show_reports_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["users.id"], name=op.f("fk_no_show_reports_reported_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_no_show_reports_resolved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_no_show_reports")),
        sa.UniqueConstraint("session_id", name=op.f("uq_no_show_reports_session_id")),
    )
    op.create_index(op.f("ix_no_show_reports_outcome"), "no_show_reports", ["outcome"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_no_show_reports_outcome"), table_name="no_show_reports")
    op.drop_table("no_show_reports")
