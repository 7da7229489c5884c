"""The discovery page and player profiles through HTTP: full pages, htmx fragments, query counts."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from kendama.extensions import db
from kendama.models import Offering

from ..support.factories import FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/players"}


def card_names(html: str) -> list[str]:
    return re.findall(r'id="player-\d+-name"><a href="[^"]+">([^<]+)</a>', html)


@contextmanager
def statements():
    """Every SQL query the block sends (the test harness's savepoints are not the page's)."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            seen.append(statement)

    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", record)


def test_page_has_the_filter_form_and_results(client):
    PlayerFactory(display_name="Web Free")
    PlayerFactory(display_name="Web Paid", setup__paid=True, setup__price=3000)
    response = client.get("/players?q=web&sort=name")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.count("<h1") == 1
    assert 'hx-get="/players"' in html and 'hx-push-url="true"' in html and 'hx-target="#results"' in html
    assert 'method="get" action="/players"' in html  # works without JavaScript too
    assert card_names(html) == ["Web Free", "Web Paid"]
    assert 'data-announce="2 players found"' in html
    assert "USD 30.00" in html and "Next open 30-minute slot" in html
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


def test_htmx_gets_the_fragment_and_the_canonical_address(client):
    PlayerFactory(display_name="Web Free")
    PlayerFactory(display_name="Web Paid", setup__paid=True)
    response = client.get("/players?q=web&price=paid&max_price=&duration=&sort=soonest", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "<form" not in html
    assert card_names(html) == ["Web Paid"] and 'data-announce="1 player found"' in html
    assert response.headers["HX-Push-Url"] == "/players?q=web&price=paid"  # empty and default filters dropped
    assert "data-focus-after-swap" not in html  # focus stays in the filter being changed


def test_pager_links_swap_results_and_take_focus(client):
    for index in range(13):
        PlayerFactory(display_name=f"Web {index:02d}")
    first = client.get("/players?q=web&sort=name").get_data(as_text=True)
    assert len(card_names(first)) == 12
    assert 'aria-label="Pages of players"' in first and 'aria-current="page"' in first
    assert 'href="/players?page=2&amp;q=web&amp;sort=name"' in first and 'rel="next"' in first
    second = client.get("/players?q=web&sort=name&page=2", headers={**HTMX, "HX-Trigger": "pager-next"})
    html = second.get_data(as_text=True)
    assert card_names(html) == ["Web 12"] and 'data-announce="13 players found, page 2 of 2"' in html
    assert "data-focus-after-swap" in html
    assert second.headers["HX-Push-Url"] == "/players?q=web&sort=name&page=2"
    beyond = client.get("/players?q=web&page=7").get_data(as_text=True)
    assert "past the end of the list" in beyond


def test_bad_filters_are_reported_not_guessed(client):
    PlayerFactory(display_name="Web Only", setup__paid=True, setup__price=5000)
    response = client.get("/players?q=web&max_price=cheap&duration=7")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary"' in html and 'href="#max_price"' in html
    assert re.search(r'id="max_price"[^>]*aria-describedby="[^"]*max_price-error', html) or re.search(
        r'aria-describedby="[^"]*max_price-error[^"]*"[^>]*id="max_price"', html
    )
    assert card_names(html) == ["Web Only"]  # the unreadable filters are left out
    fragment = client.get("/players?q=web&max_price=cheap", headers=HTMX)
    assert fragment.status_code == 200 and 'role="alert"' in fragment.get_data(as_text=True)


def test_filters_through_the_page(client):
    PlayerFactory(display_name="Web Free")
    paid = PlayerFactory(display_name="Web Paid", setup__paid=True, setup__price=2500)
    db.session.add(Offering(player_id=paid.id, duration_minutes=15, price_amount=1200))
    db.session.commit()
    get = lambda query: card_names(client.get(f"/players?q=web&{query}").get_data(as_text=True))  # noqa: E731
    assert get("price=free") == ["Web Free"]
    assert get("max_price=12") == ["Web Free", "Web Paid"] or get("max_price=12") == ["Web Paid", "Web Free"]
    assert get("max_price=11.99&price=paid") == []
    assert get("duration=15") == ["Web Paid"]
    assert get("sort=price") == ["Web Free", "Web Paid"]
    assert get("week=y&sort=name") == ["Web Free", "Web Paid"]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
@pytest.mark.parametrize("sort", ["soonest", "name", "price"])
def test_query_count_does_not_grow_with_the_players_shown(client, headers, sort):
    PlayerFactory(display_name="Count 00")
    url = f"/players?q=count&sort={sort}"
    client.get(url, headers=headers)  # warm up: the first request of a client sets up its session
    db.session.expire_all()
    with statements() as one:
        assert len(card_names(client.get(url, headers=headers).get_data(as_text=True))) == 1
    for index in range(1, 12):
        player = PlayerFactory(display_name=f"Count {index:02d}")
        db.session.add(Offering(player_id=player.id, duration_minutes=15, price_amount=0))
    db.session.commit()
    db.session.expire_all()
    with statements() as twelve:
        assert len(card_names(client.get(url, headers=headers).get_data(as_text=True))) == 12
    assert len(twelve) == len(one), "\n".join(twelve)
    assert len(one) <= 9


def test_profile_page_shows_the_week_in_the_viewers_zone(client, login):
    player = PlayerFactory(display_name="Web Pro", setup__paid=True, setup__price=2000, timezone="Europe/Prague")
    db.session.add(Offering(player_id=player.id, duration_minutes=15, price_amount=0))
    db.session.commit()
    login(FanFactory(timezone="America/New_York"))
    html = client.get(f"/players/{player.id}").get_data(as_text=True)
    assert html.count("<h1") == 1 and "Verified player" in html
    assert "USD 20.00" in html and "Free" in html
    assert "Times are in <strong>America/New_York</strong>, for a 15-minute lesson." in html
    # The week ahead: each day links into the booking flow on that day; the main link starts it.
    days = re.findall(rf'href="/players/{player.id}/book\?duration=15&amp;day=(\d{{4}}-\d\d-\d\d)&amp;from=\1"', html)
    assert 3 <= len(days) <= 6
    assert f'href="/players/{player.id}/book"' in html
    thirty = client.get(f"/players/{player.id}?duration=30").get_data(as_text=True)
    assert "for a 30-minute lesson" in thirty and f'href="/players/{player.id}/book?duration=30"' in thirty
    assert 'aria-current="true">30 min' in thirty


def test_unlisted_players_have_no_profile_page(client):
    assert client.get(f"/players/{PlayerFactory(setup__verified=False).id}").status_code == 404
    assert client.get("/players/999999").status_code == 404


def test_api_sorts_like_the_page(client):
    PlayerFactory(display_name="Api B", setup__paid=True, setup__price=100)
    PlayerFactory(display_name="Api A", setup__paid=True, setup__price=900)
    names = lambda sort: [p["display_name"] for p in client.get(f"/api/players?q=api&sort={sort}").json["items"]]  # noqa: E731
    assert names("name") == ["Api A", "Api B"]
    assert names("price") == ["Api B", "Api A"]
    assert client.get("/api/players?sort=random").status_code == 422
