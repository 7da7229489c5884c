"""Reviews (../shared/API.md, "Marketplace"): the fan reviews a completed session, the player
replies, anyone signed in reports one, admins hide one; a player's shown reviews are public."""

from __future__ import annotations

from flask import jsonify
from pydantic import BaseModel, Field

from ...models import Review
from ...services import discovery
from ...services.marketplace import reviews
from ...services.timezones import iso_utc
from . import bp
from .io import page_body, pagination, parse_body, require_admin, require_user
from .schemas import Strict
from .spec import operation


class ReviewIn(Strict):
    rating: int = Field(ge=1, le=5, description="stars, 1 to 5")
    text: str = Field(default="", max_length=reviews.MAX_TEXT)
    public: bool = Field(description="shown on the player's profile and counted in their rating; else private to them")


class ReviewPatchIn(Strict):
    rating: int | None = Field(default=None, ge=1, le=5)
    text: str | None = Field(default=None, max_length=reviews.MAX_TEXT)
    public: bool | None = None


class ReplyIn(Strict):
    text: str = Field(max_length=reviews.MAX_REPLY, description=f"1 to {reviews.MAX_REPLY} characters")


class ReportIn(Strict):
    reason: str = Field(default="", max_length=reviews.MAX_REPORT_REASON)


class HideIn(Strict):
    reason: str = Field(max_length=reviews.MAX_HIDE_REASON, description="why it is hidden (logged)")


class UnhideIn(Strict):
    reason: str = Field(default="", max_length=reviews.MAX_HIDE_REASON)


class ReplyOut(BaseModel):
    text: str
    created_at: str


class ReviewOut(BaseModel):
    id: int
    session_id: int
    player_id: int
    rating: int
    text: str
    public: bool
    hidden: bool
    created_at: str
    edited_at: str | None
    editable_until: str
    reply: ReplyOut | None


class ModeratedReviewOut(ReviewOut):
    hidden_at: str | None
    hidden_reason: str | None


class PublicReviewOut(BaseModel):
    id: int
    rating: int
    text: str
    fan_name: str
    created_at: str
    edited_at: str | None
    reply: ReplyOut | None


class PublicReviewPage(BaseModel):
    items: list[PublicReviewOut]
    page: int
    per_page: int
    total: int


class ReportOut(BaseModel):
    id: int
    review_id: int
    created_at: str


def _reply(text: str | None, at) -> ReplyOut | None:
    return ReplyOut(text=text, created_at=iso_utc(at)) if text is not None else None


def _review_fields(review: Review) -> dict:
    return {
        "id": review.id,
        "session_id": review.session_id,
        "player_id": review.player_id,
        "rating": review.rating,
        "text": review.text,
        "public": review.public,
        "hidden": review.is_hidden,
        "created_at": iso_utc(review.created_at),
        "edited_at": iso_utc(review.edited_at),
        "editable_until": iso_utc(reviews.editable_until(review)),
        "reply": _reply(review.reply_text, review.replied_at),
    }


def _review_out(review: Review) -> dict:
    return ReviewOut(**_review_fields(review)).model_dump()


def _moderated_out(review: Review) -> dict:
    return ModeratedReviewOut(
        **_review_fields(review), hidden_at=iso_utc(review.hidden_at), hidden_reason=review.hidden_reason
    ).model_dump()


@bp.post("/sessions/<int:session_id>/review")
@operation(
    "Review a completed session (the fan, once)",
    tag="reviews",
    body=ReviewIn,
    responses={201: ReviewOut},
    errors=(403, 404, 409),
)
def leave_review(session_id: int):
    user = require_user()
    data = parse_body(ReviewIn)
    review = reviews.leave_review(user, session_id, data.rating, data.text, public=data.public)
    return jsonify(_review_out(review)), 201


@bp.patch("/sessions/<int:session_id>/review")
@operation(
    "Change the session's review (the fan, for 7 days after it was first left)",
    tag="reviews",
    body=ReviewPatchIn,
    responses={200: ReviewOut},
    errors=(403, 404, 409),
)
def edit_review(session_id: int):
    user = require_user()
    data = parse_body(ReviewPatchIn)
    review = reviews.edit_review(user, session_id, rating=data.rating, text=data.text, public=data.public)
    return jsonify(_review_out(review))


@bp.get("/players/<int:player_id>/reviews")
@operation(
    "A player's public reviews, newest first (hidden and private ones are not listed)",
    tag="reviews",
    responses={200: PublicReviewPage},
    errors=(404,),
    auth=False,
    paginated=True,
)
def player_reviews(player_id: int):
    page, per_page = pagination()
    found = discovery.player_reviews(player_id, page=page, per_page=per_page)
    items = [
        PublicReviewOut(
            id=item.id,
            rating=item.rating,
            text=item.text,
            fan_name=item.fan_name,
            created_at=iso_utc(item.created_at),
            edited_at=iso_utc(item.edited_at),
            reply=_reply(item.reply_text, item.replied_at),
        ).model_dump()
        for item in found.items
    ]
    return jsonify(page_body(items, page, per_page, found.total))


@bp.post("/reviews/<int:review_id>/reply")
@operation(
    "Reply once, publicly, under a public review (the reviewed player)",
    tag="reviews",
    body=ReplyIn,
    responses={201: ReviewOut},
    errors=(403, 404, 409),
)
def reply_to_review(review_id: int):
    user = require_user()
    data = parse_body(ReplyIn)
    return jsonify(_review_out(reviews.reply(user, review_id, data.text))), 201


@bp.post("/reviews/<int:review_id>/report")
@operation(
    "Report a review to the admins (anyone signed in, once)",
    tag="reviews",
    body=ReportIn,
    responses={201: ReportOut},
    errors=(403, 404, 409),
)
def report_review(review_id: int):
    user = require_user()
    data = parse_body(ReportIn)
    entry = reviews.report(user, review_id, data.reason)
    return jsonify(
        ReportOut(id=entry.id, review_id=entry.review_id, created_at=iso_utc(entry.created_at)).model_dump()
    ), 201


@bp.post("/admin/reviews/<int:review_id>/hide")
@operation(
    "Hide a review from the profile and the rating, with a reason (admin)",
    tag="reviews",
    body=HideIn,
    responses={200: ModeratedReviewOut},
    errors=(403, 404, 409),
)
def hide_review(review_id: int):
    admin = require_admin()
    data = parse_body(HideIn)
    return jsonify(_moderated_out(reviews.hide(admin, review_id, data.reason)))


@bp.post("/admin/reviews/<int:review_id>/unhide")
@operation(
    "Show a hidden review again (admin)",
    tag="reviews",
    body=UnhideIn,
    responses={200: ModeratedReviewOut},
    errors=(403, 404, 409),
)
def unhide_review(review_id: int):
    admin = require_admin()
    data = parse_body(UnhideIn)
    return jsonify(_moderated_out(reviews.unhide(admin, review_id, data.reason)))
