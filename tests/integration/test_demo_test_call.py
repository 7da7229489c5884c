"""Trying a call on the demo: a player starts a test call with the demo fan at once, in development only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kendama.config import CONFIGS
from kendama.extensions import db
from kendama.models import ConsentRecord, LiveSession, Offering, utcnow
from kendama.services import demo_data
from kendama.services.errors import NotAllowed, NotFound, SlotUnavailable, WrongState
from kendama.services.video import calls, demo_calls

from ..conftest import csrf_token_from
from ..support.factories import FanFactory, PlayerFactory
from ..support.video_support import session_at

pytestmark = pytest.mark.both_databases


@pytest.fixture
def development(app, monkeypatch):
    """What DevelopmentConfig (the embedded default) says; the tests' own configuration does not."""
    monkeypatch.setitem(app.config, "TEST_CALLS_ALLOWED", True)


@pytest.fixture
def demo_fan():
    return FanFactory(email=demo_data.DEMO_FAN_EMAIL, display_name="Finn Fan")


def sessions_of(player) -> list[LiveSession]:
    return db.session.scalars(db.select(LiveSession).where(LiveSession.player_id == player.id)).all()


def test_only_the_development_configuration_allows_test_calls():
    assert CONFIGS["development"].TEST_CALLS_ALLOWED is True
    for name in ("production", "staging", "testing"):
        assert CONFIGS[name].TEST_CALLS_ALLOWED is False, name


def test_a_test_call_starts_now_with_the_demo_fan_for_the_shortest_lesson(development, demo_fan):
    player = PlayerFactory(setup__buffer=5)
    player.profile.offerings.append(Offering(duration_minutes=15, price_amount=0))
    db.session.commit()
    now = utcnow()
    session = demo_calls.start_test_call(player, now=now)
    assert (session.fan_id, session.player_id, session.status, session.price_amount) == (
        demo_fan.id,
        player.id,
        "confirmed",
        0,
    )
    assert session.starts_at == now.replace(second=0, microsecond=0) and session.duration_minutes == 15
    assert session.ends_at == session.starts_at + timedelta(minutes=15)
    assert session.blocked_until == session.ends_at + timedelta(minutes=5)  # the player's buffer, as a booking
    assert calls.window_open(session, now)  # the room is open at once
    assert session.fan_recording_consent and session.player_recording_consent
    logged = db.session.scalars(db.select(ConsentRecord).where(ConsentRecord.session_id == session.id)).all()
    assert {(r.user_id, r.kind, r.granted) for r in logged} >= {
        (demo_fan.id, "recording", True),
        (player.id, "recording", True),
    }


def test_a_test_call_respects_the_players_and_the_demo_fans_other_sessions(development, demo_fan):
    player = PlayerFactory()
    session_at(timedelta(minutes=-5), player=player)  # teaching someone else right now
    with pytest.raises(SlotUnavailable) as refused:
        demo_calls.start_test_call(player)
    assert refused.value.message == "You have another session at this time; a test call needs you free for 30 minutes."
    assert len(sessions_of(player)) == 1

    other = PlayerFactory()
    session_at(timedelta(minutes=20), fan=demo_fan)  # the demo fan is booked 20 minutes from now
    with pytest.raises(SlotUnavailable) as refused:
        demo_calls.start_test_call(other)
    assert "demo fan" in refused.value.message
    assert sessions_of(other) == []


def test_a_second_test_call_while_the_first_is_on_is_refused(development, demo_fan):
    player = PlayerFactory()
    demo_calls.start_test_call(player)
    with pytest.raises(SlotUnavailable):
        demo_calls.start_test_call(player)
    assert len(sessions_of(player)) == 1


def test_without_the_demo_fan_an_offering_or_a_player_it_is_refused_clearly(development):
    player = PlayerFactory()
    with pytest.raises(WrongState) as refused:
        demo_calls.start_test_call(player)
    assert refused.value.code == "no_demo_fan" and "flask seed-demo" in refused.value.message
    FanFactory(email=demo_data.DEMO_FAN_EMAIL)
    player.profile.offerings = []
    db.session.commit()
    with pytest.raises(WrongState) as refused:
        demo_calls.start_test_call(player)
    assert refused.value.code == "no_offering"
    with pytest.raises(NotAllowed):
        demo_calls.start_test_call(FanFactory())


def test_the_player_starts_a_test_call_from_the_dashboard(client, login, development, demo_fan):
    player = PlayerFactory()
    login(player)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert 'action="/dashboard/test-call"' in html and "Start a test call now" in html
    assert client.post("/dashboard/test-call").status_code == 400  # no CSRF token
    response = client.post("/dashboard/test-call", data={"csrf_token": csrf_token_from(client)})
    (session,) = sessions_of(player)
    assert response.status_code == 303 and response.location.endswith(f"/sessions/{session.id}/join")
    login(demo_fan)
    assert f'href="/sessions/{session.id}/join">Join the call' in client.get("/dashboard/").get_data(as_text=True)


def test_outside_development_it_is_neither_offered_nor_accepted(client, login, demo_fan):
    player = PlayerFactory()
    login(player)
    assert "Start a test call now" not in client.get("/dashboard/").get_data(as_text=True)
    response = client.post("/dashboard/test-call", data={"csrf_token": csrf_token_from(client)})
    assert response.status_code == 404
    with pytest.raises(NotFound):
        demo_calls.start_test_call(player)
    assert sessions_of(player) == []
