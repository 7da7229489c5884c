"""Times for people: the zone an anonymous visitor's browser reported, and time-zone pickers."""

from __future__ import annotations

import re

from ..factories import PlayerFactory


def footer_zone(html: str) -> str:
    return re.search(r"Times are shown in ([^.]+)\.", html).group(1)


def test_an_anonymous_visitor_sees_times_in_the_zone_their_browser_cookie_names(client):
    player = PlayerFactory()
    for written in ("America/New_York", "America%2FNew_York"):  # as app.js writes it, and as it once did
        client.set_cookie("tz", written)
        html = client.get(f"/players/{player.id}").get_data(as_text=True)
        assert footer_zone(html) == "America/New_York"
        assert "(America/New_York)" in html  # the next free time, on the visitor's clock


def test_a_cookie_that_names_no_zone_shows_utc(client):
    client.set_cookie("tz", "Mars%2FOlympus")
    assert footer_zone(client.get("/").get_data(as_text=True)) == "UTC"
