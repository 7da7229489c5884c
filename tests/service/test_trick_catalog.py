"""Administrators keep the trick catalog: add, rename, merge a duplicate, retire."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import PlayerTrick, ProgressMark, SessionGoal, Trick, TrickFamily
from kendama.services.coaching import catalog
from kendama.services.errors import Conflict, InvalidInput, NotAllowed, NotFound

from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory


def by_name(name: str) -> Trick:
    return db.session.scalar(select(Trick).where(Trick.name == name))


def test_only_admins_change_the_catalog():
    with pytest.raises(NotAllowed):
        catalog.add_trick(FanFactory(), "Moon Circle", 6, "balance")


def test_an_added_trick_is_found_by_its_aliases_and_names_are_unique_whatever_the_case():
    admin = AdminFactory()
    trick = catalog.add_trick(admin, "Moon  Circle", 6, "balance", ["Moonwalk", "moon circle", ""])
    assert (trick.name, trick.aliases) == ("Moon Circle", ["Moonwalk"])
    assert catalog.search("moonw") == [trick]
    with pytest.raises(Conflict):
        catalog.add_trick(admin, "big cup", 1, "cups")
    with pytest.raises(InvalidInput) as refused:
        catalog.add_trick(admin, "", 11, "yoyo")
    assert set(refused.value.fields) == {"name", "level", "family"}


def test_a_renamed_trick_keeps_its_old_name_findable():
    trick = catalog.rename_trick(AdminFactory(), by_name("Ken Flip").id, "Kenflip Classic")
    assert trick.name == "Kenflip Classic"
    assert "Ken Flip" in trick.aliases
    assert catalog.search("ken flip")[0] == trick


def test_a_merged_duplicate_hands_over_its_names_and_everything_that_pointed_at_it():
    admin = AdminFactory()
    duplicate = catalog.add_trick(admin, "Moon", 5, "balance", ["Luna"])
    lunar = by_name("Lunar")
    session = LiveSessionFactory()
    player = session.player
    both = PlayerFactory()  # lists both: keeps one row
    db.session.add_all(
        [
            PlayerTrick(player_id=player.id, trick_id=duplicate.id),
            PlayerTrick(player_id=both.id, trick_id=duplicate.id),
            PlayerTrick(player_id=both.id, trick_id=lunar.id),
            SessionGoal(session_id=session.id, trick_id=duplicate.id, position=1),
            ProgressMark(
                session_id=session.id, fan_id=session.fan_id, player_id=player.id, trick_id=duplicate.id, state="closer"
            ),
        ]
    )
    db.session.commit()

    kept = catalog.merge_tricks(admin, duplicate.id, lunar.id)

    assert kept.aliases == ["Moon", "Luna"]
    assert duplicate.retired_at is not None and duplicate.merged_into_id == lunar.id
    assert catalog.search("moon") == [lunar]
    rows = db.session.execute(select(PlayerTrick.player_id, PlayerTrick.trick_id)).all()
    assert sorted(rows) == sorted([(player.id, lunar.id), (both.id, lunar.id)])
    assert db.session.scalar(select(SessionGoal.trick_id)) == lunar.id
    assert db.session.scalar(select(ProgressMark.trick_id)) == lunar.id


def test_a_retired_trick_is_offered_no_more():
    trick = catalog.retire_trick(AdminFactory(), by_name("UFO").id)
    assert trick not in catalog.active_tricks()
    assert catalog.search("ufo") == []
    with pytest.raises(InvalidInput):
        catalog.active_by_ids([trick.id], field="goals")


def test_the_listing_holds_every_trick_by_family_with_the_retired_and_merged_apart():
    admin = AdminFactory()
    moon = catalog.add_trick(admin, "Moon", 5, "balance", ["Luna"])
    catalog.merge_tricks(admin, moon.id, by_name("Lunar").id)
    ufo = catalog.retire_trick(admin, by_name("UFO").id)

    listing = catalog.listing()

    assert list(listing.active) == list(catalog.FAMILY_LABELS)
    cups = listing.active[TrickFamily.CUPS]
    assert [t.name for t in cups[:3]] == ["Base Cup", "Big Cup", "Small Cup"]  # by level, then name
    assert [t.level for t in cups] == sorted(t.level for t in cups)
    assert listing.retired == [ufo]
    assert listing.merged == [(moon, by_name("Lunar"))]
    assert {t.id for t in listing.offered} == {t.id for t in catalog.active_tricks()}
    assert listing.trick(ufo.id) is ufo
    with pytest.raises(NotFound):
        listing.trick(999_999)


def test_the_listing_narrowed_by_a_name_keeps_only_what_goes_by_it():
    catalog.retire_trick(AdminFactory(), by_name("UFO").id)
    listing = catalog.listing("chuzar")
    assert {family: [t.name for t in tricks] for family, tricks in listing.active.items()} == {
        TrickFamily.CUPS: ["Base Cup"]
    }
    assert listing.retired == [] and catalog.listing("ufo").retired == [by_name("UFO")]
    assert len(listing.offered) == len(catalog.active_tricks())  # a merge may still go into any of them
