"""Whole public pages cached for anonymous visitors: drawn once, never holding one visitor's own things."""

from __future__ import annotations

from contextlib import contextmanager

from flask import template_rendered

from kendama.extensions import db

from ..conftest import csrf_token_from
from ..support.factories import FanFactory, PlayerFactory
from ..support.query_counter import counted_queries


@contextmanager
def rendered_templates(app):
    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def test_an_anonymous_visitor_gets_the_profile_page_without_a_query_or_a_template(app, client, cache):
    player = PlayerFactory()
    first = client.get(f"/players/{player.id}").get_data(as_text=True)
    with counted_queries() as statements, rendered_templates(app) as templates:
        again = client.get(f"/players/{player.id}")
    assert (statements, templates) == ([], [])
    assert again.get_data(as_text=True) == first
    assert "Set-Cookie" not in again.headers

    player.profile.bio = "Now teaching lighthouse flips."
    db.session.commit()
    assert "lighthouse flips" in client.get(f"/players/{player.id}").get_data(as_text=True)


def test_the_unfiltered_listing_is_drawn_once_and_a_filtered_one_is_not_served_from_it(app, client, cache):
    PlayerFactory(display_name="Ava Early", setup__paid=False)
    PlayerFactory(display_name="Ben Paid", setup__paid=True)
    assert "Ben Paid" in client.get("/players?page=1").get_data(as_text=True)
    with rendered_templates(app) as templates:
        client.get("/players?page=1")
    assert templates == []

    free_only = client.get("/players?price=free").get_data(as_text=True)
    assert "Ava Early" in free_only and "Ben Paid" not in free_only


def test_a_flashed_message_reaches_its_visitor_and_never_the_shared_copy(app, client, login, cache):
    player = PlayerFactory()
    shared = app.test_client()
    assert "You are signed out" not in shared.get(f"/players/{player.id}").get_data(as_text=True)

    login(FanFactory())
    client.post("/logout", data={"csrf_token": csrf_token_from(client)})
    assert "You are signed out" in client.get(f"/players/{player.id}").get_data(as_text=True)
    assert "You are signed out" not in shared.get(f"/players/{player.id}").get_data(as_text=True)


def test_each_zone_is_its_own_copy(client, cache):
    player = PlayerFactory(timezone="Europe/Prague")
    in_utc = client.get(f"/players/{player.id}").get_data(as_text=True)
    client.set_cookie("tz", "Asia/Tokyo")
    in_tokyo = client.get(f"/players/{player.id}").get_data(as_text=True)
    assert "Times are in <strong>UTC</strong>" in in_utc
    assert "Times are in <strong>Asia/Tokyo</strong>" in in_tokyo
