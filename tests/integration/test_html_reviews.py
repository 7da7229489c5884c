"""Reviews and languages on the pages: the fan's review form and its 7-day edit, the player's reply,
the profile's list and rating in words, Report, admins' hide and unhide, discovery's sort and
language filter, and cached pages that change at once."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from kendama.extensions import db
from kendama.models import Review, ReviewReport, utcnow
from kendama.services.accounts import profiles
from kendama.services.marketplace import reviews

from ..conftest import csrf_token_from
from ..support.booking_helpers import past_lesson
from ..support.factories import AdminFactory, FanFactory, PlayerFactory
from ..support.query_counter import counted_queries

pytestmark = pytest.mark.both_databases

lesson = past_lesson


def post(client, url: str, **fields):
    return client.post(url, data={"csrf_token": csrf_token_from(client), **fields})


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def review(session, stars=5, text="Great lesson", public=True) -> Review:
    return reviews.leave_review(session.fan, session.id, stars, text, public=public)


# --- the fan's review form -------------------------------------------------------------------


def test_the_dashboard_asks_the_fan_for_a_review_with_stars_in_a_labelled_group(client, login):
    session = lesson()
    login(session.fan)
    html = page(client, "/dashboard/")
    assert "How did it go?" in html
    assert f'action="/dashboard/sessions/{session.id}/review"' in html
    stars = re.search(r"<fieldset[^>]*>\s*<legend>Your rating</legend>(.*?)</fieldset>", html, re.S)
    assert stars, "the stars are a radio group in a fieldset with a legend"
    assert stars.group(1).count('type="radio"') == 5
    assert f'<label for="review-{session.id}-rating-4">5 stars (excellent)</label>' in stars.group(1)
    assert "<legend>Who can read it</legend>" in html
    assert f'<label for="review-{session.id}-text">Your review (optional)</label>' in html


def test_a_public_review_shows_on_the_profile_with_the_name_and_the_date_in_the_viewers_zone(client, login):
    fan = FanFactory(display_name="Rin Sato", timezone="Asia/Tokyo")
    session = lesson(fan=fan)
    login(fan)
    response = post(
        client, f"/dashboard/sessions/{session.id}/review", rating="5", text="Lunar, at last!", visibility="public"
    )
    assert response.status_code == 303 and response.location.endswith("/dashboard/#reviews-title")
    after = page(client, "/dashboard/")
    assert f"Thank you. Your review is on {session.player.display_name}&#39;s profile." in after
    assert "How did it go?" not in after and "Change your review" in after

    stored = db.session.query(Review).one()
    stored.created_at = utcnow().replace(hour=20, minute=0, second=0, microsecond=0) - timedelta(days=1)
    db.session.commit()
    client.delete_cookie("session")
    client.set_cookie("tz", "Asia/Tokyo")
    html = page(client, f"/players/{session.player_id}")
    assert "Rin Sato" in html and "Lunar, at last!" in html
    tokyo_day = (stored.created_at + timedelta(hours=9)).strftime("%d %B %Y")
    assert f">{tokyo_day} (Asia/Tokyo)</time>" in html  # 20:00 UTC is the next day in Tokyo
    assert "5.0 out of 5, 1 review" in html
    assert "The rating counts these public reviews only" in html
    assert "Report" not in html  # only for someone signed in


def test_a_private_review_is_for_the_player_only(client, login):
    session = lesson()
    login(session.fan)
    assert post(client, f"/dashboard/sessions/{session.id}/review", rating="2", visibility="private").status_code == 303
    assert f"Only {session.player.display_name} reads your review." in page(client, "/dashboard/")
    profile = page(client, f"/players/{session.player_id}")
    assert "No public reviews yet." in profile and "out of 5" not in profile
    login(session.player)
    dashboard = page(client, "/dashboard/")
    assert "Reviews of your lessons" in dashboard and "private to you" in dashboard


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"visibility": "public"}, "rating", "Choose a rating from 1 to 5 stars."),
        ({"rating": "5"}, "visibility", "Choose who can read your review."),
        ({"rating": "5", "visibility": "public", "text": "x" * 1001}, "text", "Field cannot be longer than 1000"),
        ({"rating": "9", "visibility": "public"}, "rating", "Not a valid choice"),
    ],
)
def test_a_refused_review_is_shown_again_with_the_error_at_its_field(client, login, fields, field, message):
    session = lesson()
    login(session.fan)
    response = post(client, f"/dashboard/sessions/{session.id}/review", **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error_id = f"review-{session.id}-{field}-error"
    assert f'id="{error_id}"' in html and message in html
    assert re.search(rf'aria-describedby="[^"]*{error_id}"', html)
    assert db.session.query(Review).count() == 0


def test_no_review_form_for_a_lesson_that_did_not_complete(client, login):
    session = lesson(status="no_show")
    login(session.fan)
    assert "How did it go?" not in page(client, "/dashboard/")
    refused = post(client, f"/dashboard/sessions/{session.id}/review", rating="5", visibility="public")
    assert refused.status_code == 409 and "completed" in refused.get_data(as_text=True)


def test_the_fan_changes_the_review_within_seven_days(client, login):
    session = lesson()
    left = review(session, 3, "Okay", public=False)
    login(session.fan)
    html = page(client, "/dashboard/")
    assert f'action="/dashboard/sessions/{session.id}/review/edit"' in html
    assert f'<input checked id="edit-{session.id}-rating-2" name="rating" required type="radio" value="3">' in html
    response = post(
        client, f"/dashboard/sessions/{session.id}/review/edit", rating="4", text="Better", visibility="public"
    )
    assert response.status_code == 303
    db.session.refresh(left)
    assert (left.rating, left.text, left.public) == (4, "Better", True)
    refused = post(client, f"/dashboard/sessions/{session.id}/review/edit", rating="4", visibility="")
    assert refused.status_code == 422 and f'id="edit-{session.id}-visibility-error"' in refused.get_data(as_text=True)

    left.created_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert "Change your review" not in page(client, "/dashboard/")
    late = post(client, f"/dashboard/sessions/{session.id}/review/edit", rating="1", visibility="public")
    assert late.status_code == 409 and "7 days after they were first left" in late.get_data(as_text=True)


# --- the player's reply ----------------------------------------------------------------------


def test_the_player_replies_from_the_dashboard_and_it_shows_under_the_review(client, login):
    session = lesson()
    left = review(session)
    login(session.player)
    html = page(client, "/dashboard/")
    assert f'action="/dashboard/reviews/{left.id}/reply"' in html
    assert f'<label for="reply-{left.id}-text">Your public reply</label>' in html
    empty = post(client, f"/dashboard/reviews/{left.id}/reply", text="")
    assert empty.status_code == 422 and f'id="reply-{left.id}-text-error"' in empty.get_data(as_text=True)
    assert post(client, f"/dashboard/reviews/{left.id}/reply", text="Thank you, Rin!").status_code == 303
    assert f'action="/dashboard/reviews/{left.id}/reply"' not in page(client, "/dashboard/")
    profile = page(client, f"/players/{session.player_id}")
    assert f"Reply from {session.player.display_name}" in profile and "Thank you, Rin!" in profile
    assert post(client, f"/dashboard/reviews/{left.id}/reply", text="Again").status_code == 409


# --- reports and moderation ------------------------------------------------------------------


def test_signed_in_visitors_report_a_review_once_and_admins_see_the_count(client, login):
    session = lesson()
    left = review(session, 1, "Rude")
    login(session.fan)
    assert f'action="/reviews/{left.id}/report"' not in page(client, f"/players/{session.player_id}")  # the author
    login(FanFactory())
    html = page(client, f"/players/{session.player_id}")
    assert f'action="/reviews/{left.id}/report"' in html and f'for="report-reason-{left.id}"' in html
    too_long = post(client, f"/reviews/{left.id}/report", reason="x" * 501)
    assert too_long.status_code == 422
    assert f'id="report-reason-{left.id}-error"' in too_long.get_data(as_text=True)
    done = post(client, f"/reviews/{left.id}/report", reason="Insulting")
    assert done.status_code == 303 and done.location.endswith(f"/players/{session.player_id}#review-{left.id}")
    assert "An admin will look at the review." in page(client, f"/players/{session.player_id}")
    again = post(client, f"/reviews/{left.id}/report")
    assert again.status_code == 303 and "already reported" in page(client, f"/players/{session.player_id}")
    assert db.session.query(ReviewReport).count() == 1

    login(AdminFactory())
    admin_page = page(client, "/admin/feedback")
    reported = admin_page.split('id="reported-title"')[1].split('id="all-title"')[0]
    assert "1 report" in reported and "Insulting" in reported


def test_admins_hide_with_a_reason_and_show_again(client, login):
    admin = AdminFactory(display_name="Ada Admin")
    session = lesson()
    left = review(session, 1, "Buy followers at spam.example")
    login(admin)
    html = page(client, "/admin/feedback")
    assert f'action="/admin/reviews/{left.id}/hide"' in html and f'for="hide-reason-{left.id}"' in html
    missing = post(client, f"/admin/reviews/{left.id}/hide", reason="")
    assert missing.status_code == 422
    assert f'id="hide-reason-{left.id}-error"' in missing.get_data(as_text=True)
    assert post(client, f"/admin/reviews/{left.id}/hide", reason="Spam link").status_code == 303
    html = page(client, "/admin/feedback")
    assert "Hidden by Ada Admin on" in html and "Spam link" in html
    assert "Ada Admin hid" in html  # the moderation log
    profile = page(client, f"/players/{session.player_id}")
    assert "spam.example" not in profile and "out of 5" not in profile

    export = client.get("/admin/feedback.csv").get_data(as_text=True)
    (row,) = csv.DictReader(io.StringIO(export))
    assert (row["author_role"], row["visibility"], row["hidden_reason"]) == ("fan", "hidden", "Spam link")

    assert post(client, f"/admin/reviews/{left.id}/unhide").status_code == 303
    assert "spam.example" in page(client, f"/players/{session.player_id}")
    assert "Ada Admin showed again" in page(client, "/admin/feedback")


# --- the profile and the listing -------------------------------------------------------------


def test_the_rating_reads_in_words_on_cards_and_profiles_and_not_at_all_without_reviews(client):
    rated = PlayerFactory(display_name="Words Rated")
    PlayerFactory(display_name="Words Unrated")
    for stars in (5, 4, 5):
        review(lesson(rated), stars)
    listing = page(client, "/players?q=words&sort=name")
    cards = listing.split('class="player-card"')[1:]
    assert '<span class="stars" aria-hidden="true">★★★★★</span> <span>4.7 out of 5, 3 reviews</span>' in cards[0]
    assert "out of 5" not in cards[1]
    profile = page(client, f"/players/{rated.id}")
    assert '<a href="#reviews-title">4.7 out of 5, 3 reviews</a>' in profile
    assert profile.count('class="review"') == 3


def test_many_reviews_come_a_page_at_a_time(client):
    player = PlayerFactory()
    for index in range(reviews.PER_PAGE + 1):
        review(lesson(player), 5, f"Review number {index:02d}")
    first = page(client, f"/players/{player.id}")
    assert first.count('class="review"') == reviews.PER_PAGE
    assert "Review number 10" in first and "Review number 00" not in first
    assert 'aria-label="Pages of reviews"' in first and f'href="/players/{player.id}?page=2"' in first
    second = page(client, f"/players/{player.id}?page=2")
    assert second.count('class="review"') == 1 and "Review number 00" in second


def test_discovery_sorts_by_rating_from_the_filter_form(client):
    low, high = PlayerFactory(display_name="Sorted Low"), PlayerFactory(display_name="Sorted High")
    review(lesson(low), 2)
    review(lesson(high), 5)
    html = page(client, "/players?q=sorted&sort=rating")
    assert '<option selected value="rating">Highest rated</option>' in html
    assert re.findall(r'id="player-\d+-name"><a href="[^"]+">([^<]+)</a>', html) == ["Sorted High", "Sorted Low"]


# --- languages -------------------------------------------------------------------------------


def test_the_player_chooses_languages_on_the_profile_editor_and_fans_filter_by_them(client, login):
    player = PlayerFactory(display_name="Lingo Page")
    PlayerFactory(display_name="Lingo Other")
    login(player)
    editor = page(client, "/dashboard/profile")
    assert "<legend>Languages you teach in</legend>" in editor
    assert '<input id="languages-0" name="languages" type="checkbox" value="ar">' in editor
    form = {
        "display_name": "Lingo Page",
        "bio": "Hi",
        "currency": "usd",
        "offer_30": "y",
        "price_30": "0",
        "accepts_bookings": "y",
    }
    saved = client.post(
        "/dashboard/profile",
        data={"csrf_token": csrf_token_from(client), **form, "languages": ["ja", "en"]},
    )
    assert saved.status_code == 303
    assert re.search(
        r'<input checked id="languages-\d+" name="languages" type="checkbox" value="ja">',
        page(client, "/dashboard/profile"),
    )
    bad = client.post(
        "/dashboard/profile", data={"csrf_token": csrf_token_from(client), **form, "languages": ["en", "xx"]}
    )
    assert bad.status_code == 422 and 'id="languages-error"' in bad.get_data(as_text=True)

    profile = page(client, f"/players/{player.id}")
    assert '<span class="label">Teaches in:</span> English, Japanese' in profile
    listing = page(client, "/players?q=lingo&language=ja")
    assert '<option selected value="ja">Japanese</option>' in listing
    assert re.findall(r'id="player-\d+-name"><a href="[^"]+">([^<]+)</a>', listing) == ["Lingo Page"]
    assert client.get("/players?q=lingo&language=xx").status_code == 422


# --- cached pages change at once -------------------------------------------------------------


def test_a_cached_profile_and_listing_with_ratings_ask_the_database_nothing(client, cache):
    player = PlayerFactory(display_name="Cached Rated")
    review(lesson(player), 4, "Steady")
    for url in (f"/players/{player.id}", "/players"):
        first = page(client, url)
        with counted_queries() as statements:
            again = page(client, url)
        assert statements == [] and again == first, url
        assert "4.0 out of 5, 1 review" in first


def test_a_new_review_shows_on_the_cached_profile_and_listing_at_once(client, login, cache):
    session = lesson()
    profile_url = f"/players/{session.player_id}"
    assert "out of 5" not in page(client, profile_url) and "out of 5" not in page(client, "/players")
    login(session.fan)
    posted = post(client, f"/dashboard/sessions/{session.id}/review", rating="5", text="Brilliant", visibility="public")
    assert posted.status_code == 303
    client.delete_cookie("session")  # the anonymous visitor again, whose copies were cached
    assert "Brilliant" in page(client, profile_url) and "5.0 out of 5, 1 review" in page(client, profile_url)
    assert "5.0 out of 5, 1 review" in page(client, "/players")


@pytest.mark.parametrize("change", ["edit", "reply", "hide", "unhide"])
def test_every_later_change_to_a_review_shows_on_cached_pages_at_once(client, cache, change):
    session = lesson()
    left = review(session, 5, "First words")
    admin = AdminFactory()
    if change == "unhide":
        reviews.hide(admin, left.id, "Checking")
    profile_url = f"/players/{session.player_id}"
    before_profile, before_listing = page(client, profile_url), page(client, "/players")
    if change == "edit":
        reviews.edit_review(session.fan, session.id, rating=3, text="Second words")
        expected = ["Second words", "3.0 out of 5, 1 review"]
    elif change == "reply":
        reviews.reply(session.player, left.id, "Thanks for coming")
        expected = ["Thanks for coming"]
    elif change == "hide":
        reviews.hide(admin, left.id, "Spam")
        expected = ["No public reviews yet."]
    else:
        reviews.unhide(admin, left.id)
        expected = ["First words", "5.0 out of 5, 1 review"]
    after_profile = page(client, profile_url)
    assert after_profile != before_profile
    assert all(words in after_profile for words in expected), change
    if change != "reply":  # the listing shows the rating, not the texts
        assert page(client, "/players") != before_listing


def test_new_languages_show_on_the_cached_profile_at_once(client, cache):
    player = PlayerFactory()
    assert "Teaches in:" not in page(client, f"/players/{player.id}")
    profiles.update_profile(player, languages=["ja"])
    assert "Teaches in:</span> Japanese" in page(client, f"/players/{player.id}")


def test_review_and_reply_texts_are_text_not_markup(client, login):
    session = lesson()
    left = review(session, 5, "<script>alert('review')</script>")
    reviews.reply(session.player, left.id, "<img src=x onerror=alert(1)>")
    reviews.report(FanFactory(), left.id, "<b>bold</b>")
    html = page(client, f"/players/{session.player_id}")
    assert "<script>alert(" not in html and "&lt;script&gt;alert(" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    login(AdminFactory())
    admin_page = page(client, "/admin/feedback")
    assert "<b>bold</b>" not in admin_page and "&lt;b&gt;bold&lt;/b&gt;" in admin_page
