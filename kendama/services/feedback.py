"""Post-session feedback: the player's private rating of the fan, and the fan's review, as admins read them.

The fan's feedback is their review (services/marketplace/reviews.py: public or private, editable
for 7 days); the player's stays a private rating and comment that admins read. The admin page
and its CSV export list both, as they did before reviews existed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from ..extensions import db
from ..models import LiveSession, Review, SessionFeedback, SessionStatus, User
from .access import require_admin, session_for_participant
from .errors import Conflict, InvalidInput, WrongState
from .marketplace import reviews

MAX_COMMENT = 2000
# Feedback is asked once the lesson has been completed (at its end, or when the player ended it):
# not while it is still on (people may leave and come back), and not for a no-show, which the
# fan never came to.
FEEDBACK_STATUSES = (SessionStatus.COMPLETED.value,)


@dataclass(frozen=True)
class Feedback:
    """What was recorded, whichever side left it."""

    session_id: int
    rating: int
    comment: str
    created_at: datetime


def leave_feedback(user: User, session_id: int, rating: int, comment: str = "") -> Feedback:
    """Record the user's feedback on a finished session they took part in (once).

    From the fan it is their review, kept private (the review form and `POST
    /api/sessions/:id/review` let them make it public); from the player, their private feedback.
    """
    session = session_for_participant(user, session_id)
    if session.fan_id == user.id:
        try:
            review = reviews.leave_review(user, session_id, rating, comment or "", public=False)
        except InvalidInput as exc:  # this form calls the review's text its comment
            raise InvalidInput({"comment" if name == "text" else name: m for name, m in exc.fields.items()}) from exc
        return Feedback(review.session_id, review.rating, review.text, review.created_at)
    if session.status not in FEEDBACK_STATUSES:
        raise WrongState("Feedback opens once the lesson has been completed.")
    errors = {}
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = "Choose a rating from 1 to 5."
    if len(comment or "") > MAX_COMMENT:
        errors["comment"] = f"Keep the comment under {MAX_COMMENT} characters."
    if errors:
        raise InvalidInput(errors)
    entry = SessionFeedback(session_id=session.id, author_id=user.id, rating=rating, comment=(comment or "").strip())
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("You have already left feedback for this session.", code="feedback_exists") from exc
    return Feedback(entry.session_id, entry.rating, entry.comment, entry.created_at)


def _given_by(user_id):
    """Whether this user has left their feedback (a player) or review (a fan) on the session."""
    return or_(
        exists().where(SessionFeedback.session_id == LiveSession.id, SessionFeedback.author_id == user_id),
        exists().where(Review.session_id == LiveSession.id, Review.author_id == user_id),
    )


def sessions_awaiting_feedback(user: User, limit: int = 5) -> list[LiveSession]:
    """Finished sessions of this user without their feedback (or review) yet, newest first."""
    return list(
        db.session.scalars(
            select(LiveSession)
            .where(
                (LiveSession.fan_id == user.id) | (LiveSession.player_id == user.id),
                LiveSession.status.in_(FEEDBACK_STATUSES),
                ~_given_by(user.id),
            )
            .options(joinedload(LiveSession.fan), joinedload(LiveSession.player))
            .order_by(LiveSession.starts_at.desc())
            .limit(limit)
        )
    )


def has_left_feedback(session_id: int, user_id: int) -> bool:
    """Whether the user already left feedback (or, as the fan, a review) on the session."""
    query = select(LiveSession.id).where(LiveSession.id == session_id, _given_by(user_id))
    return db.session.scalar(query) is not None


@dataclass(frozen=True)
class FeedbackRow:
    """One entry of the admin page: a fan's review or a player's feedback."""

    author: User
    session: LiveSession
    rating: int
    comment: str
    created_at: datetime
    review: Review | None = None  # the fan's review (None: the player's feedback)
    reports: int = 0

    @property
    def visibility(self) -> str:
        if self.review is not None and self.review.is_hidden:
            return "hidden"
        return "public" if self.review is not None and self.review.public else "private"


def all_feedback(admin: User, *, limit: int | None = None) -> list[FeedbackRow]:
    """Every fan's review and player's feedback, newest first (admins only)."""
    require_admin(admin)
    author = aliased(User)
    from_players = (
        select(SessionFeedback, author, LiveSession)
        .join(author, author.id == SessionFeedback.author_id)
        .join(LiveSession, LiveSession.id == SessionFeedback.session_id)
        .order_by(SessionFeedback.created_at.desc(), SessionFeedback.id.desc())
    )
    from_fans = (
        select(Review)
        .options(joinedload(Review.author), joinedload(Review.session), joinedload(Review.hidden_by))
        .order_by(Review.created_at.desc(), Review.id.desc())
    )
    if limit:
        from_players, from_fans = from_players.limit(limit), from_fans.limit(limit)
    fan_reviews = list(db.session.scalars(from_fans))
    counts = reviews.report_counts([review.id for review in fan_reviews])
    rows = [FeedbackRow(a, s, f.rating, f.comment, f.created_at) for f, a, s in db.session.execute(from_players)]
    rows += [
        FeedbackRow(r.author, r.session, r.rating, r.text, r.created_at, review=r, reports=counts.get(r.id, 0))
        for r in fan_reviews
    ]
    rows.sort(key=lambda row: row.created_at, reverse=True)
    return rows[:limit] if limit else rows


def export_csv(admin: User) -> str:
    """All feedback and reviews as CSV (UTC times), for admins."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "session_id",
            "session_start_utc",
            "author_email",
            "author_role",
            "rating",
            "comment",
            "created_at_utc",
            "visibility",
            "hidden_reason",
            "reports",
            "reply",
        ]
    )
    for row in all_feedback(admin):
        writer.writerow(
            [
                row.session.id,
                row.session.starts_at.isoformat(),
                row.author.email,
                row.session.participant_role(row.author.id),
                row.rating,
                _csv_safe(row.comment),
                row.created_at.isoformat(),
                row.visibility,
                _csv_safe(row.review.hidden_reason or "") if row.review else "",
                row.reports,
                _csv_safe(row.review.reply_text or "") if row.review else "",
            ]
        )
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in free text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
