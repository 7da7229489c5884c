"""Cached profile and listing fragments: served without the database, and never behind a change."""

from __future__ import annotations

import re
from datetime import timedelta

from kendama.extensions import db
from kendama.models import utcnow
from kendama.services.booking import slot_cache
from kendama.services.timezones import iso_utc

from ..conftest import PASSWORD, csrf_token_from
from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, PlayerFactory
from ..support.query_counter import counted_queries


def start_times_offered(html: str) -> int:
    """The number of start times the profile's week ahead lists."""
    return sum(int(n) for n in re.findall(r"(\d+) start times?", html))


def test_a_profile_is_served_from_the_cache_until_the_player_changes(client, cache):
    player = PlayerFactory()
    first = client.get(f"/players/{player.id}").get_data(as_text=True)
    with counted_queries() as statements:
        again = client.get(f"/players/{player.id}").get_data(as_text=True)
    assert statements == []
    assert again == first

    player.profile.bio = "Now teaching lighthouse flips."
    db.session.commit()
    assert "lighthouse flips" in client.get(f"/players/{player.id}").get_data(as_text=True)


def test_a_booking_shows_on_the_profile_at_once(client, api_token, cache):
    player = PlayerFactory()
    before = start_times_offered(client.get(f"/players/{player.id}").get_data(as_text=True))
    body = {
        "player_id": player.id,
        "start": iso_utc(weekday_at(10)),
        "duration_minutes": 30,
        "recording_consent": False,
    }
    assert client.post("/api/sessions", headers=api_token(FanFactory()), json=body).status_code == 201
    after = start_times_offered(client.get(f"/players/{player.id}").get_data(as_text=True))
    assert after == before - 3  # 09:45, 10:00 and 10:15 overlap the new 30-minute session


def test_viewers_in_other_zones_and_signed_in_viewers_get_their_own_fragment(client, login, cache):
    player = PlayerFactory(timezone="Europe/Prague")
    in_utc = client.get(f"/players/{player.id}").get_data(as_text=True)
    client.set_cookie("tz", "Asia/Tokyo")
    in_tokyo = client.get(f"/players/{player.id}").get_data(as_text=True)
    assert "Times are in <strong>UTC</strong>" in in_utc
    assert "Times are in <strong>Asia/Tokyo</strong>" in in_tokyo
    assert "Change your time zone" not in in_tokyo

    login(FanFactory(timezone="America/New_York"))
    signed_in = client.get(f"/players/{player.id}").get_data(as_text=True)
    assert "Times are in <strong>America/New_York</strong>" in signed_in
    assert "Change your time zone" in signed_in


def signed_in_client(app, user):
    client = app.test_client()
    form = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token_from(client)}
    assert client.post("/login", data=form).status_code == 303
    return client


def test_signed_in_visitors_keep_their_own_csrf_token_and_anonymous_ones_get_no_cookie(app, cache):
    player = PlayerFactory()
    pages = [signed_in_client(app, FanFactory()).get(f"/players/{player.id}").get_data(as_text=True) for _ in range(2)]
    tokens = [re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1) for page in pages]
    assert tokens[0] != tokens[1]

    anonymous = app.test_client().get(f"/players/{player.id}")
    assert anonymous.status_code == 200
    assert "Set-Cookie" not in anonymous.headers
    assert "X-CSRFToken" not in anonymous.get_data(as_text=True)


def test_a_newly_listed_player_appears_in_the_listing_at_once(client, cache):
    PlayerFactory(display_name="Ava Early")
    assert "Ava Early" in client.get("/players").get_data(as_text=True)
    with counted_queries() as statements:
        client.get("/players")
    assert statements == []

    PlayerFactory(display_name="Ben Late")
    listing = client.get("/players").get_data(as_text=True)
    assert "Ava Early" in listing and "Ben Late" in listing


def test_a_composite_is_kept_no_longer_than_what_it_was_built_from(app, cache):
    player = PlayerFactory()
    now = utcnow()
    soon = now + timedelta(seconds=5)
    with slot_cache.collect_freshness() as freshness:
        slot_cache.remember(player.id, "probe", "a", lambda: ("value", soon), now=now)
    assert freshness.until == soon
    with slot_cache.collect_freshness() as freshness:  # read back from the cache: the same bound
        assert slot_cache.remember(player.id, "probe", "a", lambda: ("other", None), now=now) == "value"
    assert abs((freshness.until - soon).total_seconds()) < 0.001
    with slot_cache.collect_freshness() as freshness:  # no bound of its own: the time-to-live bounds it
        slot_cache.remember(player.id, "probe", "b", lambda: ("value", None), now=now)
    assert freshness.until == now + timedelta(seconds=cache.ttl)
