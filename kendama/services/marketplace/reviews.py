"""Fans' reviews of their lessons: leaving and editing one, the player's reply, reports, moderation.

A review is the fan's post-session feedback: after a completed session its fan may leave one
(1-5 stars and up to 1,000 characters), public or private to the player, and change it for
seven days after it was first left. A player's rating counts only the reviews that are shown:
public and not hidden by an admin (`SHOWN`, the one home of that rule).

Profiles and the discovery listing are cached per player version
(services/booking/slot_cache.py), and the cache does not watch this table: every change that
a public page may show (a review left, edited, replied to, hidden or shown again) touches the
player before its commit, so cached pages change at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import LiveSession, Review, ReviewModeration, ReviewReport, SessionStatus, User, utcnow
from ..access import require_admin, require_player, session_for_participant
from ..booking import slot_cache
from ..errors import Conflict, InvalidInput, NotAllowed, NotFound, WrongState

MAX_TEXT = 1000
MAX_REPLY = 1000
MAX_REPORT_REASON = 500
MAX_HIDE_REASON = 500
EDIT_WINDOW = timedelta(days=7)
PER_PAGE = 10
# Reviews open once the lesson has been completed: not while it is on, not for a no-show.
REVIEWABLE_STATUSES = (SessionStatus.COMPLETED.value,)


def shown() -> ColumnElement[bool]:
    """Reviews on the player's profile and in their rating: public, not hidden by an admin."""
    return and_(Review.public.is_(True), Review.hidden_at.is_(None))


# --- Ratings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingSummary:
    """A player's rating from their shown reviews. `average` is rounded to one decimal (half up),
    None when there are none (then `count` is 0)."""

    average: float | None
    count: int

    @classmethod
    def of(cls, total: int | None, count: int | None) -> RatingSummary:
        if not count:
            return NO_RATING
        average = (Decimal(int(total or 0)) / Decimal(int(count))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return cls(float(average), int(count))

    @property
    def stars(self) -> int:
        """Whole stars to draw (decoration only; the words carry the rating)."""
        return int(Decimal(str(self.average or 0)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


NO_RATING = RatingSummary(None, 0)


def rating_totals():
    """Per player, the number and the sum of the shown reviews' stars (a subquery for the listing)."""
    return (
        select(
            Review.player_id,
            func.count(Review.id).label("review_count"),
            func.sum(Review.rating).label("rating_total"),
        )
        .where(shown())
        .group_by(Review.player_id)
        .subquery()
    )


def rating_of(player_id: int) -> RatingSummary:
    """One player's rating (one query)."""
    count, total = db.session.execute(
        select(func.count(Review.id), func.sum(Review.rating)).where(Review.player_id == player_id, shown())
    ).one()
    return RatingSummary.of(total, count)


# --- The fan's review ------------------------------------------------------------------------


def _check(rating: object, text: object) -> dict[str, str]:
    errors = {}
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = "Choose a rating from 1 to 5 stars."
    if not isinstance(text, str):
        errors["text"] = "Write the review as text."
    elif len(text.strip()) > MAX_TEXT:
        errors["text"] = f"Keep the review to {MAX_TEXT:,} characters or fewer."
    return errors


def _fans_session(fan: User, session_id: int, *, for_update: bool = False) -> LiveSession:
    """The session if `fan` is its fan: NotFound for strangers, NotAllowed for its player and admins."""
    session = session_for_participant(fan, session_id, for_update=for_update)
    if session.fan_id != fan.id:
        raise NotAllowed("Only the fan of this session can review it.", code="fan_only")
    return session


def session_to_review(fan: User, session_id: int) -> LiveSession:
    """The session `fan` may review (its fan): NotFound for strangers, NotAllowed for its player and admins."""
    return _fans_session(fan, session_id)


def leave_review(fan: User, session_id: int, rating: int, text: str = "", *, public: bool) -> Review:
    """The fan's one review of a completed session they took."""
    session = _fans_session(fan, session_id)
    if session.status not in REVIEWABLE_STATUSES:
        raise WrongState("Reviews open once the lesson has been completed.", code="not_completed")
    if errors := _check(rating, text):
        raise InvalidInput(errors)
    exists = Conflict(
        "You have already reviewed this session; you can change your review for 7 days after you left it.",
        code="review_exists",
    )
    if db.session.scalar(select(Review.id).where(Review.session_id == session.id)) is not None:
        raise exists
    review = Review(
        session_id=session.id,
        author_id=fan.id,
        player_id=session.player_id,
        rating=rating,
        text=text.strip(),
        public=bool(public),
    )
    db.session.add(review)
    slot_cache.touch([session.player_id])
    try:
        db.session.commit()
    except IntegrityError as exc:  # two submissions at once: the unique session_id keeps one
        db.session.rollback()
        raise exists from exc
    return review


def editable_until(review: Review) -> datetime:
    return review.created_at + EDIT_WINDOW


def can_edit(review: Review, now: datetime | None = None) -> bool:
    return (now or utcnow()) < editable_until(review)


def review_for_fan(fan: User, session_id: int) -> Review:
    """The fan's own review of this session, or NotFound."""
    session = _fans_session(fan, session_id)
    review = db.session.scalar(select(Review).where(Review.session_id == session.id))
    if review is None:
        raise NotFound("You have not reviewed this session yet.", code="no_review")
    return review


def edit_review(
    fan: User,
    session_id: int,
    *,
    rating: int | None = None,
    text: str | None = None,
    public: bool | None = None,
    now: datetime | None = None,
) -> Review:
    """Change the fan's review (any of its parts) within 7 days of when it was first left."""
    review = review_for_fan(fan, session_id)
    if not can_edit(review, now):
        raise WrongState(
            "Reviews can be changed for 7 days after they were first left; this one can no longer be edited.",
            code="edit_window_closed",
        )
    if errors := _check(review.rating if rating is None else rating, review.text if text is None else text):
        raise InvalidInput(errors)
    if rating is not None:
        review.rating = rating
    if text is not None:
        review.text = text.strip()
    if public is not None:
        review.public = bool(public)
    review.edited_at = now or utcnow()
    slot_cache.touch([review.player_id])
    db.session.commit()
    return review


def sessions_awaiting_review(fan: User, limit: int = 5) -> list[LiveSession]:
    """The fan's completed sessions without a review yet, newest first."""
    reviewed = select(Review.session_id).where(Review.author_id == fan.id)
    return list(
        db.session.scalars(
            select(LiveSession)
            .where(
                LiveSession.fan_id == fan.id,
                LiveSession.status.in_(REVIEWABLE_STATUSES),
                LiveSession.id.not_in(reviewed),
            )
            .options(joinedload(LiveSession.player))
            .order_by(LiveSession.starts_at.desc())
            .limit(limit)
        )
    )


def editable_reviews(fan: User, *, now: datetime | None = None) -> list[Review]:
    """The fan's reviews still open to changes, newest first."""
    since = (now or utcnow()) - EDIT_WINDOW
    return list(
        db.session.scalars(
            select(Review)
            .where(Review.author_id == fan.id, Review.created_at > since)
            .options(joinedload(Review.session), joinedload(Review.player))
            .order_by(Review.created_at.desc(), Review.id.desc())
        )
    )


# --- The player's side -----------------------------------------------------------------------


def reviews_of_player(player: User, limit: int = 20) -> list[Review]:
    """Every review of the player's lessons (public and private), newest first, for their dashboard."""
    require_player(player)
    return list(
        db.session.scalars(
            select(Review)
            .where(Review.player_id == player.id)
            .options(joinedload(Review.author), joinedload(Review.session))
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(limit)
        )
    )


def _visible(user: User, review: Review | None) -> Review:
    """The review if `user` may know it exists: shown ones to everyone, the rest to its fan,
    its player and admins; NotFound otherwise."""
    if review is None or not (review.is_shown or user.is_admin or user.id in (review.author_id, review.player_id)):
        raise NotFound("No such review.")
    return review


def review_to_reply(player: User, review_id: int, *, for_update: bool = False) -> Review:
    """The review `player` may reply to now, or why not (NotFound, NotAllowed, WrongState, Conflict)."""
    review = _visible(player, db.session.get(Review, review_id, with_for_update=for_update))
    if review.player_id != player.id:
        raise NotAllowed("Only the player who was reviewed can reply.", code="player_only")
    if not review.public:
        raise WrongState(
            "This review is private to you; replies are shown publicly, under public reviews.", code="review_private"
        )
    if review.reply_text is not None:
        raise Conflict("You have already replied to this review.", code="reply_exists")
    return review


def reply(player: User, review_id: int, text: str) -> Review:
    """The reviewed player's one public reply under a public review."""
    review = review_to_reply(player, review_id, for_update=True)
    cleaned = (text or "").strip() if isinstance(text, str) else ""
    if not cleaned:
        raise InvalidInput({"text": "Write your reply."})
    if len(cleaned) > MAX_REPLY:
        raise InvalidInput({"text": f"Keep the reply to {MAX_REPLY:,} characters or fewer."})
    review.reply_text = cleaned
    review.replied_at = utcnow()
    slot_cache.touch([review.player_id])
    db.session.commit()
    return review


# --- Reports and moderation ------------------------------------------------------------------


def review_to_report(user: User, review_id: int) -> Review:
    """The review `user` may report: one they may see and did not write."""
    review = _visible(user, db.session.get(Review, review_id))
    if review.author_id == user.id:
        raise NotAllowed("You wrote this review; you can change it instead of reporting it.", code="own_review")
    return review


def report(user: User, review_id: int, reason: str = "") -> ReviewReport:
    """Someone signed in asks the admins to look at a review (once each)."""
    review = review_to_report(user, review_id)
    cleaned = (reason or "").strip() if isinstance(reason, str) else ""
    if len(cleaned) > MAX_REPORT_REASON:
        raise InvalidInput({"reason": f"Keep the reason to {MAX_REPORT_REASON} characters or fewer."})
    duplicate = Conflict("You have already reported this review; an admin will look at it.", code="already_reported")
    taken = select(ReviewReport.id).where(ReviewReport.review_id == review.id, ReviewReport.reporter_id == user.id)
    if db.session.scalar(taken) is not None:
        raise duplicate
    entry = ReviewReport(review_id=review.id, reporter_id=user.id, reason=cleaned)
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise duplicate from exc
    return entry


def _for_admin(admin: User, review_id: int) -> Review:
    require_admin(admin)
    review = db.session.get(Review, review_id, with_for_update=True)
    if review is None:
        raise NotFound("No such review.")
    return review


def hide(admin: User, review_id: int, reason: str) -> Review:
    """An admin takes a review off the profile and out of the rating; the reason is logged."""
    review = _for_admin(admin, review_id)
    cleaned = (reason or "").strip() if isinstance(reason, str) else ""
    if not cleaned:
        raise InvalidInput({"reason": "Say why the review is hidden (the log keeps it)."})
    if len(cleaned) > MAX_HIDE_REASON:
        raise InvalidInput({"reason": f"Keep the reason to {MAX_HIDE_REASON} characters or fewer."})
    if review.is_hidden:
        raise WrongState("This review is already hidden.", code="already_hidden")
    now = utcnow()
    review.hidden_at, review.hidden_by_id, review.hidden_reason = now, admin.id, cleaned
    db.session.add(ReviewModeration(review_id=review.id, admin_id=admin.id, action="hide", reason=cleaned))
    slot_cache.touch([review.player_id])
    db.session.commit()
    return review


def unhide(admin: User, review_id: int, reason: str = "") -> Review:
    """An admin shows a hidden review again (logged too)."""
    review = _for_admin(admin, review_id)
    if not review.is_hidden:
        raise WrongState("This review is not hidden.", code="not_hidden")
    cleaned = ((reason or "").strip() if isinstance(reason, str) else "")[:MAX_HIDE_REASON]
    review.hidden_at = review.hidden_by_id = review.hidden_reason = None
    db.session.add(ReviewModeration(review_id=review.id, admin_id=admin.id, action="unhide", reason=cleaned))
    slot_cache.touch([review.player_id])
    db.session.commit()
    return review


def report_counts(review_ids: list[int]) -> dict[int, int]:
    """How many people reported each review (absent: none)."""
    if not review_ids:
        return {}
    rows = db.session.execute(
        select(ReviewReport.review_id, func.count(ReviewReport.id))
        .where(ReviewReport.review_id.in_(review_ids))
        .group_by(ReviewReport.review_id)
    )
    return {review_id: count for review_id, count in rows}


@dataclass(frozen=True)
class ReportedReview:
    review: Review
    reports: list[ReviewReport]


def reported_reviews(admin: User) -> list[ReportedReview]:
    """Reviews someone reported, the most reported first, with each report (admins only)."""
    require_admin(admin)
    reports = db.session.scalars(
        select(ReviewReport).options(joinedload(ReviewReport.reporter)).order_by(ReviewReport.created_at)
    ).all()
    by_review: dict[int, list[ReviewReport]] = {}
    for entry in reports:
        by_review.setdefault(entry.review_id, []).append(entry)
    if not by_review:
        return []
    found = db.session.scalars(
        select(Review).where(Review.id.in_(by_review)).options(joinedload(Review.author), joinedload(Review.player))
    ).all()
    listed = [ReportedReview(review, by_review[review.id]) for review in found]
    return sorted(listed, key=lambda item: (-len(item.reports), -item.review.id))


def moderation_log(admin: User, limit: int = 100) -> list[ReviewModeration]:
    """The latest hides and unhides: who, when, why (admins only)."""
    require_admin(admin)
    return list(
        db.session.scalars(
            select(ReviewModeration)
            .options(joinedload(ReviewModeration.admin))
            .order_by(ReviewModeration.created_at.desc(), ReviewModeration.id.desc())
            .limit(limit)
        )
    )


# --- The public list -------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicReview:
    """A shown review as the profile and the API give it (plain values: cached pages keep it)."""

    id: int
    author_id: int  # not published by the API; the page offers no Report button to the author
    rating: int
    text: str
    fan_name: str
    created_at: datetime
    edited_at: datetime | None
    reply_text: str | None
    replied_at: datetime | None


@dataclass(frozen=True)
class ReviewPage:
    items: list[PublicReview]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def public_reviews(player_id: int, *, page: int = 1, per_page: int = PER_PAGE) -> ReviewPage:
    """One page of a player's shown reviews, newest first (the caller checks the player is listed)."""
    page = max(page, 1)
    where = (Review.player_id == player_id, shown())
    total = db.session.scalar(select(func.count(Review.id)).where(*where)) or 0
    rows = db.session.execute(
        select(Review, User.display_name)
        .join(User, User.id == Review.author_id)
        .where(*where)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [
        PublicReview(
            id=review.id,
            author_id=review.author_id,
            rating=review.rating,
            text=review.text,
            fan_name=name,
            created_at=review.created_at,
            edited_at=review.edited_at,
            reply_text=review.reply_text,
            replied_at=review.replied_at,
        )
        for review, name in rows
    ]
    return ReviewPage(items=items, total=total, page=page, per_page=per_page)
