"""The languages players teach in: the list of codes, the profile's set, and discovery's filter."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import PlayerLanguage, Profile
from kendama.services import discovery
from kendama.services.accounts import profiles
from kendama.services.discovery import PlayerSearch
from kendama.services.errors import InvalidInput
from kendama.services.marketplace import languages

from ..support.factories import PlayerFactory

pytestmark = pytest.mark.both_databases


def test_codes_are_iso_639_1_with_english_names():
    assert len(languages.LANGUAGES) >= 30
    assert all(len(code) == 2 and code.islower() for code in languages.LANGUAGES)
    assert languages.names(["ja", "en"]) == ["English", "Japanese"]
    assert [name for _code, name in languages.choices()] == sorted(languages.LANGUAGES.values())


def test_unknown_repeated_and_too_many_codes():
    assert languages.checked_codes(["ja", "en", "ja"]) == ["en", "ja"]
    with pytest.raises(InvalidInput) as unknown:
        languages.checked_codes(["en", "xx", "EN", 7])
    assert unknown.value.fields == {
        "languages": "Unknown language code: 7, EN, xx. Use ISO 639-1 codes such as en or ja."
    }
    with pytest.raises(InvalidInput):
        languages.checked_codes(list(languages.LANGUAGES)[: languages.MAX_LANGUAGES + 1])


def codes_of(player_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(PlayerLanguage.code).where(PlayerLanguage.player_id == player_id).order_by(PlayerLanguage.code)
        )
    )


def test_the_player_sets_and_changes_their_languages():
    player = PlayerFactory()
    profiles.update_profile(player, languages=["ja", "en"])
    assert codes_of(player.id) == ["en", "ja"]
    profiles.update_profile(player, languages=["en", "pt"])  # one kept, one dropped, one added
    assert codes_of(player.id) == ["en", "pt"]
    profiles.update_profile(player, bio="Other things change; the languages stay.")
    assert codes_of(player.id) == ["en", "pt"]
    profiles.update_profile(player, languages=[])
    assert codes_of(player.id) == []


def test_a_bad_code_changes_nothing():
    player = PlayerFactory()
    profiles.update_profile(player, languages=["en"])
    with pytest.raises(InvalidInput) as refused:
        profiles.update_profile(player, bio="New bio", languages=["en", "klingon"])
    assert "languages" in refused.value.fields
    assert codes_of(player.id) == ["en"]
    assert db.session.get(Profile, player.id).bio == "Teaches kendama."


def test_discovery_filters_by_language_and_refuses_unknown_codes():
    speaks_ja = PlayerFactory(display_name="Lingo Ja")
    PlayerFactory(display_name="Lingo None")
    profiles.update_profile(speaks_ja, languages=["ja", "en"])
    found = discovery.search_players(PlayerSearch(text="lingo", language="ja"))
    assert [card.profile.user.display_name for card in found.items] == ["Lingo Ja"]
    assert found.items[0].language_names == ["English", "Japanese"]
    assert discovery.search_players(PlayerSearch(text="lingo", language="fr")).total == 0
    assert discovery.search_players(PlayerSearch(text="lingo")).total == 2
    with pytest.raises(InvalidInput) as refused:
        discovery.search_players(PlayerSearch(text="lingo", language="xx"))
    assert list(refused.value.fields) == ["language"]
