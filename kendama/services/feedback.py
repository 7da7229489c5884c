"""Post-session feedback: a 1-5 rating and a comment from each side, readable by admins."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import LiveSession, SessionFeedback, SessionStatus, User
from .access import require_admin, session_for_participant
from .errors import Conflict, InvalidInput, WrongState

MAX_COMMENT = 2000
# Feedback is asked once the lesson has been completed (at its end, or when the player ended it):
# not while it is still on (people may leave and come back), and not for a no-show, which the
# fan never came to.
FEEDBACK_STATUSES = (SessionStatus.COMPLETED.value,)


def leave_feedback(user: User, session_id: int, rating: int, comment: str = "") -> SessionFeedback:
    """Record the user's feedback on a finished session they took part in (once)."""
    session = session_for_participant(user, session_id)
    if session.status not in FEEDBACK_STATUSES:
        raise WrongState("Feedback opens once the lesson has been completed.")
    errors = {}
    if not isinstance(rating, int) or not 1 <= rating <= 5:
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
    return entry


def sessions_awaiting_feedback(user: User, limit: int = 5) -> list[LiveSession]:
    """Finished sessions of this user without their feedback yet, newest first."""
    given = exists().where(SessionFeedback.session_id == LiveSession.id, SessionFeedback.author_id == user.id)
    return list(
        db.session.scalars(
            select(LiveSession)
            .where(
                (LiveSession.fan_id == user.id) | (LiveSession.player_id == user.id),
                LiveSession.status.in_(FEEDBACK_STATUSES),
                ~given,
            )
            .order_by(LiveSession.starts_at.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class FeedbackRow:
    feedback: SessionFeedback
    author: User
    session: LiveSession


def all_feedback(admin: User, *, limit: int | None = None) -> list[FeedbackRow]:
    """Every feedback entry, newest first (admins only)."""
    require_admin(admin)
    author = aliased(User)
    query = (
        select(SessionFeedback, author, LiveSession)
        .join(author, author.id == SessionFeedback.author_id)
        .join(LiveSession, LiveSession.id == SessionFeedback.session_id)
        .order_by(SessionFeedback.created_at.desc(), SessionFeedback.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return [FeedbackRow(f, a, s) for f, a, s in db.session.execute(query)]


def export_csv(admin: User) -> str:
    """All feedback as CSV (UTC times), for admins."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["session_id", "session_start_utc", "author_email", "author_role", "rating", "comment", "created_at_utc"]
    )
    for row in all_feedback(admin):
        writer.writerow(
            [
                row.session.id,
                row.session.starts_at.isoformat(),
                row.author.email,
                row.session.participant_role(row.author.id),
                row.feedback.rating,
                _csv_safe(row.feedback.comment),
                row.feedback.created_at.isoformat(),
            ]
        )
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in free text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
