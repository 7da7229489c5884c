"""Discovery rules: text search, offering filters, sorting, pagination and the week ahead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kendama.extensions import db
from kendama.models import Offering, Profile, utcnow
from kendama.services import discovery
from kendama.services.discovery import PlayerSearch, PlayerSort
from kendama.services.errors import InvalidInput, NotFound

from ..support.factories import LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def add_offering(player, minutes: int, price: int) -> None:
    db.session.add(Offering(player_id=player.id, duration_minutes=minutes, price_amount=price))
    db.session.commit()


def names(page: discovery.PlayerPage) -> list[str]:
    return [card.profile.user.display_name for card in page.items]


def search(**fields) -> discovery.PlayerPage:
    per_page = fields.pop("per_page", 20)
    page = fields.pop("page", 1)
    return discovery.search_players(
        PlayerSearch(text=fields.pop("text", "disco"), **fields), page=page, per_page=per_page
    )


def test_text_matches_name_or_bio_case_insensitively_and_literally():
    PlayerFactory(display_name="Disco Ann")
    bio = PlayerFactory(display_name="Disco Bea")
    db.session.get(Profile, bio.id).bio = "Spacewalk drills, 100% patience"
    db.session.commit()
    assert names(search(text="DISCO")) == ["Disco Ann", "Disco Bea"]
    assert names(search(text="spacewalk")) == ["Disco Bea"]
    assert names(search(text="100%")) == ["Disco Bea"]
    # Typed wildcards are literal: "_" does not match any single character.
    assert names(search(text="disco_ann")) == []


def test_only_listed_players_are_found():
    PlayerFactory(display_name="Disco Listed")
    PlayerFactory(display_name="Disco Pending", setup__verified=False)
    paused = PlayerFactory(display_name="Disco Paused")
    db.session.get(Profile, paused.id).accepts_bookings = False
    closed = PlayerFactory(display_name="Disco Closed")
    closed.is_active_account = False
    db.session.commit()
    assert names(search()) == ["Disco Listed"]
    with pytest.raises(NotFound):
        discovery.player_card(paused.id)


def test_offering_filters_look_at_one_offering_at_a_time():
    free = PlayerFactory(display_name="Disco Free")
    cheap = PlayerFactory(display_name="Disco Cheap", setup__paid=True, setup__price=1000)
    dear = PlayerFactory(display_name="Disco Dear", setup__paid=True, setup__price=5000)
    add_offering(dear, 15, 0)  # a free taster beside the expensive half hour
    assert names(search(free=True)) == ["Disco Dear", "Disco Free"]
    assert names(search(free=False)) == ["Disco Cheap", "Disco Dear"]
    assert names(search(free=False, max_price=2000)) == ["Disco Cheap"]
    assert names(search(duration=15)) == ["Disco Dear"]
    # A paid 15-minute offering does not exist, although the player has paid and 15-minute ones.
    assert names(search(duration=15, free=False)) == []
    assert {card.profile.user_id for card in search(max_price=0).items} == {free.id, dear.id}
    assert cheap.id  # listed by the paid searches above


def test_sort_by_price_uses_the_cheapest_matching_offering():
    PlayerFactory(display_name="Disco A", setup__paid=True, setup__price=3000)
    b = PlayerFactory(display_name="Disco B", setup__paid=True, setup__price=4000)
    add_offering(b, 15, 1000)
    PlayerFactory(display_name="Disco C")
    assert names(search(sort=PlayerSort.PRICE)) == ["Disco C", "Disco B", "Disco A"]
    # Only the 30-minute offerings count when that length is asked for.
    assert names(search(sort=PlayerSort.PRICE, duration=30)) == ["Disco C", "Disco A", "Disco B"]


def test_sort_by_soonest_puts_players_without_free_time_last():
    PlayerFactory(display_name="Disco Later", setup__notice=5 * 24 * 60)
    PlayerFactory(display_name="Disco Soon")
    PlayerFactory(display_name="Disco Never", setup__days_ahead=1, setup__notice=3 * 24 * 60)
    page = search(sort=PlayerSort.SOONEST)
    assert names(page) == ["Disco Soon", "Disco Later", "Disco Never"]
    assert page.items[0].next_available < page.items[1].next_available and page.items[2].next_available is None
    assert all(card.duration_minutes == 30 for card in page.items)


def test_next_available_is_for_the_searched_length():
    player = PlayerFactory(display_name="Disco Two", setup__notice=0)
    add_offering(player, 15, 0)
    card15 = search(duration=15).items[0]
    card30 = search(duration=30).items[0]
    assert (card15.duration_minutes, card30.duration_minutes) == (15, 30)
    assert search().items[0].duration_minutes == 15  # the shortest when no length is asked for


def test_available_before_filters_and_pages_in_both_paths():
    for index in range(5):
        PlayerFactory(display_name=f"Disco {index}")
    PlayerFactory(display_name="Disco Far", setup__notice=9 * 24 * 60)
    by_name = search(sort=PlayerSort.NAME, per_page=2, page=3)
    assert (by_name.total, by_name.pages, names(by_name)) == (6, 3, ["Disco 4", "Disco Far"])
    week = search(available_before=discovery.available_this_week(), per_page=2, page=3, sort=PlayerSort.NAME)
    assert (week.total, week.pages, names(week)) == (5, 3, ["Disco 4"])
    past_the_end = search(per_page=2, page=9)
    assert past_the_end.items == [] and past_the_end.total == 6
    with pytest.raises(InvalidInput):
        search(available_before="2026-12-01T10:00:00")


def test_week_ahead_groups_by_the_viewers_day_and_joins_runs():
    player = PlayerFactory(display_name="Disco Week", timezone="Europe/Prague", setup__notice=0)
    now = datetime(2030, 12, 2, 0, 0, tzinfo=UTC)  # a Monday; Prague is UTC+1, New York UTC-5
    LiveSessionFactory(player=player, starts_at=datetime(2030, 12, 2, 10, 0, tzinfo=UTC))
    days = discovery.week_ahead(player.id, 30, "America/New_York", now=now)
    # Sunday evening in New York is already Monday in Prague, but nothing is free before 09:00 Prague.
    assert [d.day for d in days] == [date(2030, 12, 2) + timedelta(days=n) for n in range(5)]
    monday = days[0]
    spans = [(start.strftime("%H:%M"), end.strftime("%H:%M")) for start, end in monday.spans]
    assert spans == [("08:00", "10:00"), ("10:30", "16:00")]  # UTC; the booked 10:00-10:30 splits the day
    assert monday.count == 7 + 21  # starts 08:00..09:30 and 10:30..15:30, every 15 minutes
    assert days[1].spans == [(datetime(2030, 12, 3, 8, tzinfo=UTC), datetime(2030, 12, 3, 16, tzinfo=UTC))]


def test_player_page_falls_back_to_the_shortest_offered_length():
    player = PlayerFactory(display_name="Disco Page")
    add_offering(player, 20, 0)
    assert discovery.player_page(player.id, 25, "UTC").card.duration_minutes == 20
    view = discovery.player_page(player.id, 30, "Europe/Prague")
    assert view.card.duration_minutes == 30 and view.zone_name == "Europe/Prague"
    assert view.card.next_available is None or view.card.next_available > utcnow()
