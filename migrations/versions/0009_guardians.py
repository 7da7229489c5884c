"""young fans: the birth year, guardian consent, and which sessions have a minor as their fan

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE, not batch mode: on SQLite a batch rebuilds the table, and a rebuilt sessions
    # table loses its overlap-guard triggers.
    op.add_column("users", sa.Column("birth_year", sa.Integer(), nullable=True))
    op.add_column("sessions", sa.Column("fan_is_minor", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "guardian_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fan_id", sa.Integer(), nullable=False),
        sa.Column("guardian_email", sa.String(length=254), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("link_version", sa.Integer(), nullable=False),
        sa.Column("allow_free_lessons", sa.Boolean(), nullable=False),
        sa.Column("allow_paid_lessons", sa.Boolean(), nullable=False),
        sa.Column("allow_recording", sa.Boolean(), nullable=False),
        sa.Column("allow_sharing", sa.Boolean(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state in ('pending','approved')", name=op.f("ck_guardian_consents_guardian_state")),
        sa.ForeignKeyConstraint(
            ["fan_id"], ["users.id"], name=op.f("fk_guardian_consents_fan_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian_consents")),
        sa.UniqueConstraint("fan_id", name=op.f("uq_guardian_consents_fan_id")),
    )


def downgrade():
    op.drop_table("guardian_consents")
    op.execute("ALTER TABLE sessions DROP COLUMN fan_is_minor")
    op.execute("ALTER TABLE users DROP COLUMN birth_year")
