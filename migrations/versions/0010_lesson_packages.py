"""lesson packages: players' offers of several lessons, fans' purchases and their credits

Payments and refunds may now be for a package purchase instead of a session.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lesson_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("lessons", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("price_amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("lessons between 2 and 10", name=op.f("ck_lesson_packages_package_lessons")),
        sa.CheckConstraint("price_amount > 0", name=op.f("ck_lesson_packages_package_price_positive")),
        sa.ForeignKeyConstraint(
            ["player_id"], ["users.id"], name=op.f("fk_lesson_packages_player_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_packages")),
    )
    op.create_index(op.f("ix_lesson_packages_player_id"), "lesson_packages", ["player_id"], unique=False)
    op.create_table(
        "package_purchases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("fan_id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("lessons", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("price_amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("platform_fee_amount", sa.Integer(), nullable=False),
        sa.Column("player_share_amount", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status in ('pending','paid','unpaid')", name=op.f("ck_package_purchases_purchase_status")),
        sa.CheckConstraint(
            "platform_fee_amount + player_share_amount = price_amount", name=op.f("ck_package_purchases_purchase_split")
        ),
        sa.ForeignKeyConstraint(
            ["fan_id"], ["users.id"], name=op.f("fk_package_purchases_fan_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["package_id"], ["lesson_packages.id"], name=op.f("fk_package_purchases_package_id_lesson_packages")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["users.id"], name=op.f("fk_package_purchases_player_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_purchases")),
    )
    op.create_index(op.f("ix_package_purchases_fan_id"), "package_purchases", ["fan_id"], unique=False)
    op.create_index(op.f("ix_package_purchases_player_id"), "package_purchases", ["player_id"], unique=False)
    op.create_table(
        "package_credits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=9), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state in ('available','used','refunded','expired')", name=op.f("ck_package_credits_credit_state")
        ),
        sa.CheckConstraint(
            "(state = 'used') = (session_id is not null)", name=op.f("ck_package_credits_credit_used_by_session")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["package_purchases.id"],
            name=op.f("fk_package_credits_purchase_id_package_purchases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name=op.f("fk_package_credits_session_id_sessions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_credits")),
        sa.UniqueConstraint("session_id", name=op.f("uq_package_credits_session_id")),
    )
    op.create_index("ix_package_credits_purchase_state", "package_credits", ["purchase_id", "state"], unique=False)

    with op.batch_alter_table("payments") as batch:
        batch.alter_column("session_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("package_purchase_id", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_payments_package_purchase_id"), ["package_purchase_id"], unique=False)
        batch.create_foreign_key(
            op.f("fk_payments_package_purchase_id_package_purchases"),
            "package_purchases",
            ["package_purchase_id"],
            ["id"],
        )
        batch.create_check_constraint(
            op.f("ck_payments_pays_for_one_thing"), "(session_id is null) <> (package_purchase_id is null)"
        )
    with op.batch_alter_table("refunds") as batch:
        batch.alter_column("session_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("package_purchase_id", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_refunds_package_purchase_id"), ["package_purchase_id"], unique=False)
        batch.create_foreign_key(
            op.f("fk_refunds_package_purchase_id_package_purchases"),
            "package_purchases",
            ["package_purchase_id"],
            ["id"],
        )


def downgrade():
    # Package payments and refunds have no session to belong to: they go with the packages.
    op.execute("DELETE FROM refunds WHERE session_id IS NULL")
    op.execute("DELETE FROM payments WHERE session_id IS NULL")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_constraint(op.f("fk_refunds_package_purchase_id_package_purchases"), type_="foreignkey")
        batch.drop_index(op.f("ix_refunds_package_purchase_id"))
        batch.drop_column("package_purchase_id")
        batch.alter_column("session_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint(op.f("ck_payments_pays_for_one_thing"), type_="check")
        batch.drop_constraint(op.f("fk_payments_package_purchase_id_package_purchases"), type_="foreignkey")
        batch.drop_index(op.f("ix_payments_package_purchase_id"))
        batch.drop_column("package_purchase_id")
        batch.alter_column("session_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_package_credits_purchase_state", table_name="package_credits")
    op.drop_table("package_credits")
    op.drop_index(op.f("ix_package_purchases_player_id"), table_name="package_purchases")
    op.drop_index(op.f("ix_package_purchases_fan_id"), table_name="package_purchases")
    op.drop_table("package_purchases")
    op.drop_index(op.f("ix_lesson_packages_player_id"), table_name="lesson_packages")
    op.drop_table("lesson_packages")
