"""Reviews: who may leave one and when, the 7-day edit window, ratings from shown reviews only,
the player's one reply, reports, admins' hiding (logged), and sorting discovery by rating."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import ReviewModeration, SessionFeedback
from kendama.services import discovery, feedback
from kendama.services.discovery import PlayerSearch, PlayerSort
from kendama.services.errors import Conflict, InvalidInput, NotAllowed, NotFound, WrongState
from kendama.services.marketplace import reviews
from kendama.services.marketplace.reviews import RatingSummary

from ..support.booking_helpers import past_lesson
from ..support.factories import AdminFactory, FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

lesson = past_lesson


def reviewed(player, rating, *, public=True, text=""):
    session = lesson(player)
    return reviews.leave_review(session.fan, session.id, rating, text, public=public)


# --- leaving and editing ---------------------------------------------------------------------


@pytest.mark.parametrize("status", ["confirmed", "in_progress", "no_show", "cancelled"])
def test_a_review_waits_for_a_completed_lesson(status):
    session = lesson(status=status)
    with pytest.raises(WrongState) as refused:
        reviews.leave_review(session.fan, session.id, 5, public=True)
    assert refused.value.message == "Reviews open once the lesson has been completed."


def test_only_the_fan_reviews_and_only_once():
    session = lesson()
    with pytest.raises(NotAllowed):
        reviews.leave_review(session.player, session.id, 5, public=True)
    with pytest.raises(NotAllowed):
        reviews.leave_review(AdminFactory(), session.id, 5, public=True)
    with pytest.raises(NotFound):
        reviews.leave_review(FanFactory(), session.id, 5, public=True)
    review = reviews.leave_review(session.fan, session.id, 4, "  Clear and kind.  ", public=True)
    assert (review.rating, review.text, review.public, review.player_id) == (
        4,
        "Clear and kind.",
        True,
        session.player_id,
    )
    with pytest.raises(Conflict) as again:
        reviews.leave_review(session.fan, session.id, 5, public=False)
    assert again.value.code == "review_exists"


@pytest.mark.parametrize(
    ("rating", "text", "field"),
    [(0, "", "rating"), (6, "", "rating"), (True, "", "rating"), ("5", "", "rating"), (5, "x" * 1001, "text")],
)
def test_bad_ratings_and_long_texts_are_refused_at_their_field(rating, text, field):
    session = lesson()
    with pytest.raises(InvalidInput) as refused:
        reviews.leave_review(session.fan, session.id, rating, text, public=True)
    assert list(refused.value.fields) == [field]


def test_a_thousand_characters_is_allowed():
    session = lesson()
    assert len(reviews.leave_review(session.fan, session.id, 5, "x" * 1000, public=True).text) == 1000


def test_the_fan_changes_a_review_for_seven_days_after_it_was_first_left():
    session = lesson()
    review = reviews.leave_review(session.fan, session.id, 3, "Fine.", public=False)
    first = review.created_at
    changed = reviews.edit_review(session.fan, session.id, rating=5, public=True, now=first + timedelta(days=6))
    assert (changed.rating, changed.text, changed.public) == (5, "Fine.", True)
    assert changed.edited_at is not None and changed.created_at == first  # the window counts from the first time
    with pytest.raises(WrongState) as late:
        reviews.edit_review(session.fan, session.id, text="Later thoughts", now=first + timedelta(days=7, seconds=1))
    assert late.value.code == "edit_window_closed"
    assert "7 days after they were first left" in late.value.message
    assert db.session.get(type(review), review.id).text == "Fine."


def test_only_the_author_edits_and_the_rules_hold_for_edits():
    session = lesson()
    with pytest.raises(NotFound):
        reviews.edit_review(session.fan, session.id, rating=4)  # nothing to edit yet
    reviews.leave_review(session.fan, session.id, 3, public=True)
    with pytest.raises(NotAllowed):
        reviews.edit_review(session.player, session.id, rating=1)
    with pytest.raises(NotFound):
        reviews.edit_review(FanFactory(), session.id, rating=1)
    with pytest.raises(InvalidInput):
        reviews.edit_review(session.fan, session.id, rating=9)


# --- ratings ---------------------------------------------------------------------------------


def test_the_rating_counts_public_reviews_that_are_not_hidden():
    player = PlayerFactory()
    assert reviews.rating_of(player.id) == RatingSummary(None, 0)
    reviewed(player, 5)
    reviewed(player, 4)
    reviewed(player, 1, public=False)
    hidden = reviewed(player, 1)
    reviews.hide(AdminFactory(), hidden.id, "Abusive")
    assert reviews.rating_of(player.id) == RatingSummary(4.5, 2)


@pytest.mark.parametrize(
    ("stars", "average"),
    [([4, 4, 4, 5], 4.3), ([5, 5, 4], 4.7), ([5], 5.0), ([1, 2], 1.5), ([4, 4, 5, 5, 5, 5, 5, 5], 4.8)],
)
def test_the_average_is_rounded_half_up_to_one_decimal(stars, average):
    assert RatingSummary.of(sum(stars), len(stars)) == RatingSummary(average, len(stars))


def test_discovery_sorts_by_rating_best_first_more_reviews_on_a_tie_unrated_last():
    names = ("Rated Few", "Rated Best", "Rated Many", "Rated None", "Rated Low")
    few, best, many, _none, low = (PlayerFactory(display_name=name) for name in names)
    reviewed(few, 4)
    reviewed(best, 5)
    for _ in range(3):
        reviewed(many, 4)
    reviewed(low, 2)
    expected = ["Rated Best", "Rated Many", "Rated Few", "Rated Low", "Rated None"]
    for before in (None, discovery.available_this_week() + timedelta(days=30)):  # the SQL path and the bulk one
        page = discovery.search_players(
            PlayerSearch(text="rated", sort=PlayerSort.RATING, available_before=before), per_page=20
        )
        assert [card.profile.user.display_name for card in page.items] == expected
        assert [card.rating.count for card in page.items] == [1, 3, 1, 1, 0]
    second = discovery.search_players(PlayerSearch(text="rated", sort=PlayerSort.RATING), page=2, per_page=2)
    assert [card.profile.user.display_name for card in second.items] == ["Rated Few", "Rated Low"]


def test_cards_carry_the_rating_whatever_the_sort():
    player = PlayerFactory(display_name="Card Rated")
    reviewed(player, 5)
    reviewed(player, 4)
    for sort in PlayerSort:
        (card,) = discovery.search_players(PlayerSearch(text="card rated", sort=sort)).items
        assert card.rating == RatingSummary(4.5, 2), sort
    assert discovery.player_card(player.id).rating == RatingSummary(4.5, 2)


# --- the public list -------------------------------------------------------------------------


def test_the_public_list_is_newest_first_paged_and_only_shown_reviews():
    player = PlayerFactory()
    for stars in (1, 2, 3, 4):
        reviewed(player, stars, text=f"{stars} stars")
    reviewed(player, 5, public=False)
    reviews.hide(AdminFactory(), reviewed(player, 5).id, "Spam")
    first = discovery.player_reviews(player.id, page=1, per_page=3)
    assert first.total == 4 and first.pages == 2
    assert [item.text for item in first.items] == ["4 stars", "3 stars", "2 stars"]
    assert [item.text for item in discovery.player_reviews(player.id, page=2, per_page=3).items] == ["1 stars"]


def test_an_unlisted_players_reviews_are_not_found():
    with pytest.raises(NotFound):
        discovery.player_reviews(PlayerFactory(setup__verified=False).id)


# --- replies, reports, moderation ------------------------------------------------------------


def test_the_player_replies_once_publicly_under_a_public_review():
    player = PlayerFactory()
    review = reviewed(player, 4)
    with pytest.raises(NotAllowed):
        reviews.reply(PlayerFactory(), review.id, "Not mine")
    with pytest.raises(NotAllowed):
        reviews.reply(review.author, review.id, "Mine")
    with pytest.raises(InvalidInput):
        reviews.reply(player, review.id, "   ")
    with pytest.raises(InvalidInput):
        reviews.reply(player, review.id, "x" * 1001)
    assert reviews.reply(player, review.id, " Thanks! ").reply_text == "Thanks!"
    with pytest.raises(Conflict):
        reviews.reply(player, review.id, "Again")
    assert discovery.player_reviews(player.id).items[0].reply_text == "Thanks!"


def test_a_private_review_takes_no_reply_and_is_unknown_to_others():
    player = PlayerFactory()
    private = reviewed(player, 2, public=False)
    with pytest.raises(WrongState):
        reviews.reply(player, private.id, "Thanks")
    for stranger in (PlayerFactory(), FanFactory()):
        with pytest.raises(NotFound):
            reviews.reply(stranger, private.id, "Hi")
        with pytest.raises(NotFound):
            reviews.report(stranger, private.id)
    with pytest.raises(NotFound):
        reviews.reply(player, 999_999, "Hi")


def test_anyone_signed_in_reports_a_review_once_but_not_their_own():
    review = reviewed(PlayerFactory(), 1, text="Rude words")
    with pytest.raises(NotAllowed):
        reviews.report(review.author, review.id)
    with pytest.raises(InvalidInput):
        reviews.report(FanFactory(), review.id, "x" * 501)
    reporter = FanFactory()
    entry = reviews.report(reporter, review.id, " Insulting ")
    assert (entry.reporter_id, entry.reason) == (reporter.id, "Insulting")
    with pytest.raises(Conflict):
        reviews.report(reporter, review.id, "Again")
    reviews.report(review.player, review.id)
    assert reviews.report_counts([review.id]) == {review.id: 2}
    (listed,) = reviews.reported_reviews(AdminFactory())
    assert listed.review.id == review.id and [r.reason for r in listed.reports] == ["Insulting", ""]


def test_admins_hide_with_a_reason_that_is_logged_and_unhide():
    admin = AdminFactory()
    player = PlayerFactory()
    review = reviewed(player, 1, text="Spam link")
    for refused in (FanFactory(), player):
        with pytest.raises(NotAllowed):
            reviews.hide(refused, review.id, "No")
    with pytest.raises(InvalidInput) as no_reason:
        reviews.hide(admin, review.id, "  ")
    assert list(no_reason.value.fields) == ["reason"]
    with pytest.raises(NotFound):
        reviews.hide(admin, 999_999, "Spam")
    hidden = reviews.hide(admin, review.id, "Spam link")
    assert (hidden.hidden_by_id, hidden.hidden_reason) == (admin.id, "Spam link") and hidden.hidden_at is not None
    assert discovery.player_reviews(player.id).total == 0 and reviews.rating_of(player.id).count == 0
    with pytest.raises(WrongState):
        reviews.hide(admin, review.id, "Again")
    reviews.unhide(admin, review.id)
    assert discovery.player_reviews(player.id).total == 1 and reviews.rating_of(player.id).count == 1
    with pytest.raises(WrongState):
        reviews.unhide(admin, review.id)
    log = db.session.scalars(select(ReviewModeration).order_by(ReviewModeration.id)).all()
    assert [(entry.action, entry.admin_id, entry.reason) for entry in log] == [
        ("hide", admin.id, "Spam link"),
        ("unhide", admin.id, ""),
    ]
    assert [entry.action for entry in reviews.moderation_log(admin)] == ["unhide", "hide"]


# --- the feedback that became reviews --------------------------------------------------------


def test_the_fans_feedback_is_their_private_review_and_the_players_stays_feedback():
    session = lesson()
    assert feedback.sessions_awaiting_feedback(session.fan) == [session]
    assert feedback.sessions_awaiting_feedback(session.player) == [session]
    feedback.leave_feedback(session.fan, session.id, 5, "Great")
    review = reviews.review_for_fan(session.fan, session.id)
    assert (review.rating, review.text, review.public) == (5, "Great", False)
    assert feedback.sessions_awaiting_feedback(session.fan) == []
    assert feedback.has_left_feedback(session.id, session.fan_id)
    assert not feedback.has_left_feedback(session.id, session.player_id)
    feedback.leave_feedback(session.player, session.id, 4, "Keen")
    assert db.session.scalar(select(SessionFeedback.author_id)) == session.player_id
    with pytest.raises(InvalidInput) as long:
        other = lesson()
        feedback.leave_feedback(other.fan, other.id, 5, "x" * 1500)
    assert list(long.value.fields) == ["comment"]  # the feedback form's name for the review's text


def test_the_admin_list_and_export_hold_both_sides():
    admin = AdminFactory()
    session = lesson()
    reviews.leave_review(session.fan, session.id, 5, "=cmd", public=True)
    feedback.leave_feedback(session.player, session.id, 3, "Quiet")
    hidden = reviewed(PlayerFactory(), 1, text="Spam")
    reviews.report(FanFactory(), hidden.id)
    reviews.hide(admin, hidden.id, "Spam")
    rows = feedback.all_feedback(admin)
    assert sorted((row.rating, row.visibility, row.reports) for row in rows) == [
        (1, "hidden", 1),
        (3, "private", 0),
        (5, "public", 0),
    ]
    export = feedback.export_csv(admin)
    assert "'=cmd" in export and ",hidden,Spam,1," in export
