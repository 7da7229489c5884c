"""public reviews (the fans' post-session feedback becomes them) and the languages players teach in

`session_feedback` rows written by a session's fan move to `reviews` as private reviews (nobody
chose to publish them); the players' rows stay where they are, as the players' private feedback.
Going down moves the fans' reviews back into `session_feedback` (their replies, reports and
moderation go with the tables).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_feedback = sa.table(
    "session_feedback",
    sa.column("session_id", sa.Integer),
    sa.column("author_id", sa.Integer),
    sa.column("rating", sa.Integer),
    sa.column("comment", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_sessions = sa.table("sessions", sa.column("id", sa.Integer), sa.column("fan_id", sa.Integer))
_sessions_with_player = sa.table(
    "sessions", sa.column("id", sa.Integer), sa.column("fan_id", sa.Integer), sa.column("player_id", sa.Integer)
)
_reviews = sa.table(
    "reviews",
    sa.column("session_id", sa.Integer),
    sa.column("author_id", sa.Integer),
    sa.column("player_id", sa.Integer),
    sa.column("rating", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("public", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade():
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("rating between 1 and 5", name=op.f("ck_reviews_rating_range")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_reviews_author_id_users")),
        sa.ForeignKeyConstraint(
            ["hidden_by_id"], ["users.id"], name=op.f("fk_reviews_hidden_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["player_id"], ["users.id"], name=op.f("fk_reviews_player_id_users")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_reviews_session_id_sessions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("session_id", name=op.f("uq_reviews_session_id")),
    )
    op.create_index(op.f("ix_reviews_player_id"), "reviews", ["player_id"], unique=False)
    op.create_table(
        "review_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"], name=op.f("fk_review_reports_reporter_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_reports_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_reports")),
        sa.UniqueConstraint("review_id", "reporter_id", name="uq_review_reports_reporter"),
    )
    op.create_index(op.f("ix_review_reports_review_id"), "review_reports", ["review_id"], unique=False)
    op.create_table(
        "review_moderation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action in ('hide','unhide')", name=op.f("ck_review_moderation_action")),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["users.id"], name=op.f("fk_review_moderation_admin_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_moderation_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_moderation")),
    )
    op.create_index(op.f("ix_review_moderation_review_id"), "review_moderation", ["review_id"], unique=False)
    op.create_table(
        "player_languages",
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["profiles.user_id"], name=op.f("fk_player_languages_player_id_profiles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("player_id", "code", name=op.f("pk_player_languages")),
    )
    op.create_index(op.f("ix_player_languages_code"), "player_languages", ["code"], unique=False)
    _fans_feedback_becomes_private_reviews()


def downgrade():
    _reviews_go_back_to_feedback()
    op.drop_index(op.f("ix_player_languages_code"), table_name="player_languages")
    op.drop_table("player_languages")
    op.drop_index(op.f("ix_review_moderation_review_id"), table_name="review_moderation")
    op.drop_table("review_moderation")
    op.drop_index(op.f("ix_review_reports_review_id"), table_name="review_reports")
    op.drop_table("review_reports")
    op.drop_index(op.f("ix_reviews_player_id"), table_name="reviews")
    op.drop_table("reviews")


def _fans_feedback_becomes_private_reviews():
    sessions = _sessions_with_player
    from_fans = (
        sa.select(
            _feedback.c.session_id,
            _feedback.c.author_id,
            sessions.c.player_id,
            _feedback.c.rating,
            _feedback.c.comment,
            sa.false(),
            _feedback.c.created_at,
        )
        .select_from(_feedback.join(sessions, sessions.c.id == _feedback.c.session_id))
        .where(_feedback.c.author_id == sessions.c.fan_id)
    )
    columns = ["session_id", "author_id", "player_id", "rating", "text", "public", "created_at"]
    op.execute(_reviews.insert().from_select(columns, from_fans))
    fan_of_session = sa.select(_sessions.c.fan_id).where(_sessions.c.id == _feedback.c.session_id).scalar_subquery()
    op.execute(_feedback.delete().where(_feedback.c.author_id == fan_of_session))


def _reviews_go_back_to_feedback():
    back = sa.select(
        _reviews.c.session_id, _reviews.c.author_id, _reviews.c.rating, _reviews.c.text, _reviews.c.created_at
    )
    op.execute(_feedback.insert().from_select(["session_id", "author_id", "rating", "comment", "created_at"], back))
