"""POST /api/sessions/:id/feedback: a participant rates a finished session.

The player's rating stays private (admins read it); the fan's is recorded as their review, kept
private. POST /api/sessions/:id/review (api/reviews.py) is the fan's way to choose.
"""

from __future__ import annotations

from flask import jsonify
from pydantic import BaseModel, Field

from ...services import feedback
from ...services.timezones import iso_utc
from . import bp
from .io import parse_body, require_user
from .schemas import Strict
from .spec import operation


class FeedbackIn(Strict):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class FeedbackOut(BaseModel):
    session_id: int
    rating: int
    comment: str
    created_at: str


@bp.post("/sessions/<int:session_id>/feedback")
@operation(
    "Rate a finished session (once per participant; the fan's rating is kept as a private review)",
    tag="sessions",
    body=FeedbackIn,
    responses={201: FeedbackOut},
    errors=(403, 404, 409),
)
def leave_feedback(session_id: int):
    user = require_user()
    data = parse_body(FeedbackIn)
    entry = feedback.leave_feedback(user, session_id, data.rating, data.comment)
    body = FeedbackOut(
        session_id=entry.session_id, rating=entry.rating, comment=entry.comment, created_at=iso_utc(entry.created_at)
    )
    return jsonify(body.model_dump()), 201
