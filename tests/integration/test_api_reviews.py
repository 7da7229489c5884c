"""Reviews and languages through the JSON API: statuses, bodies, and what the public sees."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kendama.extensions import db
from kendama.models import Review, utcnow

from ..support.booking_helpers import past_lesson
from ..support.factories import AdminFactory, FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

lesson = past_lesson


def review_via_api(client, api_token, session, **body):
    body = {"rating": 5, "text": "Great lesson", "public": True, **body}
    return client.post(f"/api/sessions/{session.id}/review", headers=api_token(session.fan), json=body)


def test_the_fan_reviews_a_completed_lesson_once(client, api_token):
    session = lesson()
    response = review_via_api(client, api_token, session, text="  Clear and kind.  ")
    assert response.status_code == 201, response.json
    body = response.json
    assert body == {
        "id": body["id"],
        "session_id": session.id,
        "player_id": session.player_id,
        "rating": 5,
        "text": "Clear and kind.",
        "public": True,
        "hidden": False,
        "created_at": body["created_at"],
        "edited_at": None,
        "editable_until": body["editable_until"],
        "reply": None,
    }
    assert body["created_at"].endswith("Z") and body["editable_until"] > body["created_at"]
    again = review_via_api(client, api_token, session)
    assert again.status_code == 409 and again.json["error"]["code"] == "review_exists"


@pytest.mark.parametrize("status", ["confirmed", "no_show", "in_progress"])
def test_no_review_before_the_lesson_is_completed(client, api_token, status):
    response = review_via_api(client, api_token, lesson(status=status))
    assert response.status_code == 409 and response.json["error"]["code"] == "not_completed"


def test_who_may_review(client, api_token):
    session = lesson()
    body = {"rating": 5, "text": "", "public": True}
    url = f"/api/sessions/{session.id}/review"
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, headers=api_token(session.player), json=body).status_code == 403
    assert client.post(url, headers=api_token(FanFactory()), json=body).status_code == 404
    assert client.post(url, headers=api_token(AdminFactory()), json=body).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 0, "public": True}, "rating"),
        ({"rating": 6, "public": True}, "rating"),
        ({"rating": "5", "public": True}, "rating"),
        ({"rating": 5, "public": True, "text": "x" * 1001}, "text"),
        ({"rating": 5}, "public"),
        ({"rating": 5, "public": True, "author_id": 1}, "author_id"),
    ],
)
def test_bad_review_bodies_are_422_at_their_field(client, api_token, body, field):
    session = lesson()
    response = client.post(f"/api/sessions/{session.id}/review", headers=api_token(session.fan), json=body)
    assert response.status_code == 422 and field in response.json["error"]["fields"]
    assert db.session.query(Review).count() == 0


def test_the_fan_edits_within_seven_days_then_no_more(client, api_token):
    session = lesson()
    assert review_via_api(client, api_token, session, public=False).status_code == 201
    headers = api_token(session.fan)
    url = f"/api/sessions/{session.id}/review"
    changed = client.patch(url, headers=headers, json={"rating": 3, "public": True})
    assert changed.status_code == 200
    assert (changed.json["rating"], changed.json["public"], changed.json["text"]) == (3, True, "Great lesson")
    assert changed.json["edited_at"] is not None
    assert client.patch(url, headers=api_token(session.player), json={"rating": 1}).status_code == 403
    assert client.patch(url, headers=api_token(FanFactory()), json={"rating": 1}).status_code == 404
    review = db.session.query(Review).one()
    review.created_at = utcnow() - timedelta(days=7, minutes=1)
    db.session.commit()
    late = client.patch(url, headers=headers, json={"text": "Changed my mind"})
    assert late.status_code == 409 and late.json["error"]["code"] == "edit_window_closed"
    assert "7 days" in late.json["error"]["message"]
    never = lesson()
    assert client.patch(f"/api/sessions/{never.id}/review", headers=api_token(never.fan), json={}).status_code == 404


def test_public_reviews_and_the_rating_for_everyone(client, api_token):
    player = PlayerFactory(display_name="Api Rated")
    unrated = PlayerFactory(display_name="Api Unrated")
    fans = [FanFactory(display_name=f"Fan {n}") for n in range(4)]
    sessions = [lesson(player, fan) for fan in fans]
    for session, stars, public in zip(sessions, (4, 5, 5, 1), (True, True, False, True), strict=True):
        assert review_via_api(client, api_token, session, rating=stars, public=public).status_code == 201
    hidden_id = db.session.query(Review).filter_by(rating=1).one().id
    hide = client.post(
        f"/api/admin/reviews/{hidden_id}/hide", headers=api_token(AdminFactory()), json={"reason": "Off-topic"}
    )
    assert hide.status_code == 200 and hide.json["hidden"] is True and hide.json["hidden_reason"] == "Off-topic"

    listed = client.get(f"/api/players/{player.id}/reviews?per_page=1")
    assert listed.status_code == 200
    assert (listed.json["total"], listed.json["per_page"]) == (2, 1)
    (newest,) = listed.json["items"]
    assert newest["fan_name"] == "Fan 1" and newest["rating"] == 5 and newest["reply"] is None
    assert set(newest) == {"id", "rating", "text", "fan_name", "created_at", "edited_at", "reply"}
    assert client.get(f"/api/players/{player.id}/reviews?page=2&per_page=1").json["items"][0]["fan_name"] == "Fan 0"

    assert client.get(f"/api/players/{player.id}").json["rating"] == {"average": 4.5, "count": 2}
    assert client.get(f"/api/players/{unrated.id}").json["rating"] == {"average": None, "count": 0}
    items = client.get("/api/players?q=api&sort=rating").json["items"]
    assert [(p["display_name"], p["rating"]) for p in items] == [
        ("Api Rated", {"average": 4.5, "count": 2}),
        ("Api Unrated", {"average": None, "count": 0}),
    ]
    assert client.get(f"/api/players/{PlayerFactory(setup__verified=False).id}/reviews").status_code == 404


def test_the_player_replies_once(client, api_token):
    session = lesson()
    review_id = review_via_api(client, api_token, session).json["id"]
    url = f"/api/reviews/{review_id}/reply"
    assert client.post(url, headers=api_token(session.fan), json={"text": "Me"}).status_code == 403
    assert client.post(url, headers=api_token(PlayerFactory()), json={"text": "Me"}).status_code == 403
    assert client.post(url, headers=api_token(session.player), json={"text": "x" * 1001}).status_code == 422
    replied = client.post(url, headers=api_token(session.player), json={"text": "Thank you!"})
    assert replied.status_code == 201 and replied.json["reply"]["text"] == "Thank you!"
    again = client.post(url, headers=api_token(session.player), json={"text": "Again"})
    assert again.status_code == 409 and again.json["error"]["code"] == "reply_exists"
    (shown,) = client.get(f"/api/players/{session.player_id}/reviews").json["items"]
    assert shown["reply"]["text"] == "Thank you!" and shown["reply"]["created_at"].endswith("Z")


def test_a_private_review_is_not_found_by_strangers_and_takes_no_reply(client, api_token):
    session = lesson()
    review_id = review_via_api(client, api_token, session, public=False).json["id"]
    stranger = api_token(FanFactory())
    assert client.post(f"/api/reviews/{review_id}/report", headers=stranger, json={}).status_code == 404
    assert client.post(f"/api/reviews/{review_id}/reply", headers=stranger, json={"text": "x"}).status_code == 404
    private = client.post(f"/api/reviews/{review_id}/reply", headers=api_token(session.player), json={"text": "x"})
    assert private.status_code == 409 and private.json["error"]["code"] == "review_private"


def test_reports_once_each_and_not_by_the_author(client, api_token):
    session = lesson()
    review_id = review_via_api(client, api_token, session).json["id"]
    url = f"/api/reviews/{review_id}/report"
    assert client.post(url, json={}).status_code == 401
    assert client.post(url, headers=api_token(session.fan), json={}).status_code == 403
    reporter = api_token(FanFactory())
    assert client.post(url, headers=reporter, json={"reason": "x" * 501}).status_code == 422
    made = client.post(url, headers=reporter, json={"reason": "Insulting"})
    assert made.status_code == 201 and made.json["review_id"] == review_id
    assert client.post(url, headers=reporter, json={}).status_code == 409


def test_only_admins_hide_and_a_reason_is_needed(client, api_token):
    session = lesson()
    review_id = review_via_api(client, api_token, session).json["id"]
    url = f"/api/admin/reviews/{review_id}/hide"
    assert client.post(url, headers=api_token(session.player), json={"reason": "Mine"}).status_code == 403
    admin = api_token(AdminFactory())
    assert client.post(url, headers=admin, json={"reason": " "}).status_code == 422
    assert client.post(url, headers=admin, json={}).status_code == 422
    assert client.post(url, headers=admin, json={"reason": "Spam"}).status_code == 200
    assert client.get(f"/api/players/{session.player_id}/reviews").json["total"] == 0
    assert client.post(url, headers=admin, json={"reason": "Spam"}).status_code == 409
    shown = client.post(f"/api/admin/reviews/{review_id}/unhide", headers=admin, json={})
    assert shown.status_code == 200 and shown.json["hidden"] is False and shown.json["hidden_reason"] is None
    assert client.get(f"/api/players/{session.player_id}/reviews").json["total"] == 1


def test_the_fans_feedback_call_still_works_and_records_a_private_review(client, api_token):
    session = lesson()
    response = client.post(
        f"/api/sessions/{session.id}/feedback", headers=api_token(session.fan), json={"rating": 4, "comment": "Good"}
    )
    assert response.status_code == 201 and (response.json["rating"], response.json["comment"]) == (4, "Good")
    review = db.session.query(Review).one()
    assert (review.author_id, review.public, review.text) == (session.fan_id, False, "Good")
    assert review_via_api(client, api_token, session).status_code == 409  # it is the fan's one review


# --- languages -------------------------------------------------------------------------------


def test_players_set_languages_and_fans_filter_by_them(client, api_token):
    player = PlayerFactory(display_name="Api Lingo")
    PlayerFactory(display_name="Api Lingo Two")
    headers = api_token(player)
    saved = client.put("/api/users/me/profile", headers=headers, json={"languages": ["ja", "en", "ja"]})
    assert saved.status_code == 200 and saved.json["languages"] == ["en", "ja"]
    assert client.get("/api/users/me/profile", headers=headers).json["languages"] == ["en", "ja"]
    bad = client.put("/api/users/me/profile", headers=headers, json={"languages": ["en", "xx"]})
    assert bad.status_code == 422 and "xx" in bad.json["error"]["fields"]["languages"]
    assert client.put("/api/users/me/profile", headers=headers, json={"languages": "en"}).status_code == 422
    found = client.get("/api/players?q=api+lingo&language=ja").json["items"]
    assert [(p["display_name"], p["languages"]) for p in found] == [("Api Lingo", ["en", "ja"])]
    assert client.get(f"/api/players/{player.id}").json["languages"] == ["en", "ja"]
    assert len(client.get("/api/players?q=api+lingo").json["items"]) == 2
    unknown = client.get("/api/players?language=xx")
    assert unknown.status_code == 422 and "language" in unknown.json["error"]["fields"]
