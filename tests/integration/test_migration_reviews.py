"""Migration 0006 keeps post-session feedback: a fan's becomes their private review, a player's stays
feedback, and going down brings the fans' back (on the embedded default and on PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from kendama import create_app
from kendama.extensions import db
from kendama.models import utcnow

from ..support import postgres


@pytest.fixture
def migrated_app(request, tmp_path):
    """An app on an empty database of the given kind, for the migrations to build."""
    if request.param == "sqlite":
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite3'}"})
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return
    url = postgres.create_database("kendama_migrate_reviews")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    postgres.drop_database(url)


def _people_and_feedback() -> tuple[int, int, int]:
    """A fan, a player, a completed lesson between them and both sides' feedback, as 0005 stores them."""
    made = utcnow() - timedelta(days=10)
    for email, role in (("fan@example.com", "fan"), ("player@example.com", "player")):
        db.session.execute(
            text(
                "INSERT INTO users (email, password_hash, role, timezone, display_name, is_active_account, "
                "auth_version, email_reminders, email_feedback_requests, progress_shared_with_players, created_at, "
                "email_confirmed_at) VALUES (:email, 'x', :role, 'UTC', :email, true, 1, true, true, false, :made, :made)"
            ),
            {"email": email, "role": role, "made": made},
        )
    fan_id = db.session.scalar(text("SELECT id FROM users WHERE role = 'fan'"))
    player_id = db.session.scalar(text("SELECT id FROM users WHERE role = 'player'"))
    start = made + timedelta(days=1)
    db.session.execute(
        text(
            "INSERT INTO sessions (fan_id, player_id, starts_at, ends_at, blocked_until, duration_minutes, status, "
            "price_amount, currency, platform_fee_amount, player_share_amount, notes, goal_note, "
            "fan_recording_consent, player_recording_consent, fan_sharing_consent, player_sharing_consent, "
            "reschedule_count, ics_sequence, created_at, updated_at) VALUES (:fan, :player, :start, :end, :end, 30, "
            "'completed', 0, 'usd', 0, 0, '', '', false, false, false, false, 0, 0, :made, :made)"
        ),
        {"fan": fan_id, "player": player_id, "start": start, "end": start + timedelta(minutes=30), "made": made},
    )
    session_id = db.session.scalar(text("SELECT id FROM sessions"))
    for author, rating, comment in ((fan_id, 5, "Lovely lesson"), (player_id, 4, "Keen learner")):
        db.session.execute(
            text(
                "INSERT INTO session_feedback (session_id, author_id, rating, comment, created_at) "
                "VALUES (:session, :author, :rating, :comment, :made)"
            ),
            {"session": session_id, "author": author, "rating": rating, "comment": comment, "made": start},
        )
    db.session.commit()
    return fan_id, player_id, session_id


@pytest.mark.committed
@pytest.mark.parametrize("migrated_app", ["sqlite", "postgresql"], indirect=True)
def test_fans_feedback_becomes_private_reviews_and_comes_back_down(migrated_app):
    with migrated_app.app_context():
        upgrade(revision="0005")
        fan_id, player_id, session_id = _people_and_feedback()
        db.session.remove()
        upgrade(revision="0006")
        reviews = db.session.execute(
            text("SELECT session_id, author_id, player_id, rating, text, public, hidden_at FROM reviews")
        ).all()
        assert [tuple(row) for row in reviews] == [(session_id, fan_id, player_id, 5, "Lovely lesson", False, None)]
        left = db.session.execute(text("SELECT author_id, rating, comment FROM session_feedback")).all()
        assert [tuple(row) for row in left] == [(player_id, 4, "Keen learner")]
        assert {"review_reports", "review_moderation", "player_languages"} <= set(inspect(db.engine).get_table_names())
        db.session.remove()  # PostgreSQL: an open read would hold the lock DROP TABLE waits for
        downgrade(revision="0005")
        back = db.session.execute(text("SELECT author_id, rating, comment FROM session_feedback ORDER BY rating")).all()
        assert [tuple(row) for row in back] == [(player_id, 4, "Keen learner"), (fan_id, 5, "Lovely lesson")]
        assert "reviews" not in inspect(db.engine).get_table_names()
        db.session.remove()
