"""SQL injection and LIKE wildcards in every search and filter.

Queries are built with SQLAlchemy's bound parameters, and text searches escape LIKE's own
wildcards (services/text_search.py), so quotes, `%`, `_`, backslashes and `' OR 1=1 --` are
just characters: a search for them answers as a harmless string that matches nothing does, and
a filter that is not a valid value is refused (4xx) or left out, never a 500.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kendama.extensions import db
from kendama.models import User

from ..conftest import csrf_token_from
from ..support.booking_helpers import weekday_at
from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

HOSTILE = [
    "'",
    '"',
    "%",
    "_",
    "\\",
    "\\'",
    "%%",
    "' OR 1=1 --",
    '" OR "1"="1',
    "') OR ('1'='1",
    "%' OR '1'='1",
    "1; DROP TABLE users; --",
    "' UNION SELECT email, password_hash FROM users --",
]
HARMLESS = "zzqx-matches-nobody"


@pytest.fixture
def people():
    """Players and fans whose names and emails any unescaped wildcard would match."""
    players = [PlayerFactory(display_name=name) for name in ("Ava Lighthouse", "Leo Spike", "Maya Tap")]
    fans = [FanFactory(display_name="Fan One"), FanFactory(display_name="Fan Two")]
    for hour, (player, fan) in enumerate(zip(players, fans + fans[:1], strict=True), start=10):
        start = weekday_at(hour)
        LiveSessionFactory(player=player, fan=fan, starts_at=start, ends_at=start + timedelta(minutes=30))
    return players, fans


def listed_player_ids(html: str) -> set[str]:
    return set(re.findall(r'id="player-(\d+)-name"', html))


def test_the_search_works_so_the_probes_below_mean_something(client, people):
    players, _fans = people
    assert listed_player_ids(client.get("/players", query_string={"q": "lighthouse"}).text) == {str(players[0].id)}
    assert len(listed_player_ids(client.get("/players").text)) == 3
    assert client.get("/api/players", query_string={"q": "spike"}).json["total"] == 1


@pytest.mark.parametrize("text", HOSTILE)
def test_player_search_answers_hostile_text_as_harmless_text(client, people, text):
    page = client.get("/players", query_string={"q": text})
    assert page.status_code == 200
    assert listed_player_ids(page.text) == listed_player_ids(client.get("/players", query_string={"q": HARMLESS}).text)
    assert listed_player_ids(page.text) == set()
    api = client.get("/api/players", query_string={"q": text})
    assert api.status_code == 200 and (api.json["total"], api.json["items"]) == (0, [])
    fragment = client.get("/players", query_string={"q": text}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and listed_player_ids(fragment.text) == set()


@pytest.mark.parametrize("text", HOSTILE)
def test_the_admin_session_search_answers_hostile_text_as_harmless_text(client, login, people, text):
    login(AdminFactory())
    page = client.get("/admin/sessions", query_string={"person": text})
    harmless = client.get("/admin/sessions", query_string={"person": HARMLESS})
    assert page.status_code == harmless.status_code == 200
    rows = re.findall(r'<th scope="row" data-label="Start">', page.text)
    assert rows == [] and re.findall(r'<th scope="row" data-label="Start">', harmless.text) == []
    assert len(re.findall(r'<th scope="row" data-label="Start">', client.get("/admin/sessions").text)) == 3


@pytest.mark.parametrize("text", HOSTILE)
def test_filters_that_are_no_valid_value_are_refused_or_left_out_never_a_500(client, login, api_token, people, text):
    players, fans = people
    admin = AdminFactory()
    token = api_token(fans[0])
    api_answers = [
        client.get("/api/players", query_string={"max_price": text}),
        client.get("/api/players", query_string={"duration": text, "sort": text, "free": text}),
        client.get("/api/players", query_string={"available_before": text}),
        client.get("/api/players", query_string={"page": text, "per_page": text}),
        client.get("/api/sessions", query_string={"status": text, "upcoming": text}, headers=token),
        client.get(f"/api/users/{players[0].id}/availability", query_string={"from": text, "to": text}),
        client.get(f"/api/users/{players[0].id}/availability", query_string={"duration": text}),
    ]
    assert [answer.status_code for answer in api_answers] == [422] * len(api_answers), text
    html_answers = [
        client.get("/players", query_string={"max_price": text, "duration": text, "price": text, "sort": text}),
        client.get("/players", query_string={"page": text, "week": text}),
        client.get(f"/players/{players[0].id}/book", query_string={"day": text, "duration": text}),
        client.get(f"/players/{players[0].id}/book/slots", query_string={"day": text}),
    ]
    login(admin)
    html_answers += [
        client.get(
            "/admin/sessions", query_string={"status": text, "start_date": text, "end_date": text, "page": text}
        ),
        client.get("/admin/recordings", query_string={"page": text}),
    ]
    assert all(answer.status_code < 500 for answer in html_answers), [a.status_code for a in html_answers]
    assert len(listed_player_ids(html_answers[0].text)) == 3  # a bad filter is left out, not guessed


@pytest.mark.parametrize("text", HOSTILE)
def test_ids_tokens_and_emails_made_of_sql_find_nothing(client, login, people, text):
    players, fans = people
    assert client.get(f"/calendar/{text}.ics").status_code == 404
    assert client.get("/recordings/shared", query_string={"token": text}).status_code == 404
    assert client.get(f"/players/{text}").status_code == 404
    signing_in = {"csrf_token": csrf_token_from(client), "email": text, "password": text}
    assert client.post("/login", data=signing_in).status_code in (401, 422)
    assert client.get("/dashboard/").status_code == 302  # not signed in as anyone
    assert client.post("/api/tokens", json={"email": f"{text}@example.com", "password": text}).status_code in (
        401,
        422,
    )
    login(AdminFactory())
    users_before = db.session.scalar(db.select(db.func.count(User.id)))
    added = client.post("/admin/rollout/allowlist", data={"csrf_token": csrf_token_from(client), "email": text})
    assert added.status_code < 500
    assert db.session.scalar(db.select(db.func.count(User.id))) == users_before
