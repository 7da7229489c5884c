"""`flask seed-demo` adds accounts with a published password (an administrator's too): development only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kendama import create_app
from kendama.extensions import db
from kendama.models import User
from kendama.services import demo_data, discovery

from ..support.deployed import production_settings

pytestmark = pytest.mark.both_databases


def users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_seed_demo_refuses_outside_development_and_adds_nobody(app):
    before = users()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "seed-demo only runs in development (KENDAMA_ENV=development); this is testing." in result.output
    assert users() == before


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_seed_demo_refuses_in_production_and_staging(database_url, environment):
    deployed = create_app(environment, production_settings(SQLALCHEMY_DATABASE_URI=database_url))
    result = deployed.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1 and f"this is {environment}" in result.output
    with deployed.app_context():
        db.engine.dispose()


def test_seed_demo_seeds_in_development(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "development")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.email == demo_data.DEMO_FAN_EMAIL)) is not None


def test_the_demo_players_get_languages_and_public_reviews_once(client):
    list(demo_data.seed())
    list(demo_data.seed())  # again: nothing is added twice
    for spec in demo_data.PLAYERS:
        player = db.session.scalar(select(User).where(User.email == spec.email))
        card = discovery.player_card(player.id)
        assert card.profile.language_codes == sorted(spec.languages)
        assert card.rating.count == len(spec.reviews) and card.rating.average >= 4
        assert discovery.player_reviews(player.id).total == len(spec.reviews)
    listing = client.get("/players").get_data(as_text=True)
    assert "4.7 out of 5, 3 reviews" in listing and "Teaches in:</span> English, Japanese" in listing
