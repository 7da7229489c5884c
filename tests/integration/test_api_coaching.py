"""The coaching contract: the trick catalog, goals at booking, progress marks and a fan's progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kendama.extensions import db
from kendama.models import ProgressMark, SessionGoal, Trick, utcnow
from kendama.services.timezones import iso_utc

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def trick_id(name: str) -> int:
    return db.session.scalar(select(Trick.id).where(Trick.name == name))


def book(client, headers, player_id, **extra):
    body = {"player_id": player_id, "start": iso_utc(weekday_at(10)), "duration_minutes": 30}
    return client.post("/api/sessions", headers=headers, json={**body, **extra})


# --- the catalog ------------------------------------------------------------------------------


def test_the_migration_and_create_all_seed_at_least_forty_tricks_in_every_family():
    families = dict(db.session.execute(select(Trick.family, func.count()).group_by(Trick.family)).all())
    assert sum(families.values()) >= 40
    assert set(families) == {"cups", "spike", "airplane_lighthouse", "juggles", "balance"}


def test_tricks_are_found_by_any_name_and_filtered_by_level_and_family(client):
    by_alias = client.get("/api/tricks?q=tomeken").json["items"]
    assert [t["name"] for t in by_alias] == ["Spike"]
    assert by_alias[0]["aliases"] == ["Tomeken", "Swing Spike"]
    assert client.get("/api/tricks?q=light house").json["items"] == []  # a part of a name, no guessing
    flips = client.get("/api/tricks?q=LIGHTHOUSE%20%20flip").json["items"]  # case and spacing do not matter
    assert [t["name"] for t in flips] == ["Lighthouse Flip", "Double Lighthouse Flip", "Triple Lighthouse Flip"]
    level_one = client.get("/api/tricks?level=1&family=cups").json["items"]
    assert {t["name"] for t in level_one} == {"Big Cup", "Small Cup", "Base Cup"}


def test_a_bad_catalog_query_is_a_422(client):
    response = client.get("/api/tricks?level=11&family=yoyo")
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"level", "family"}


# --- goals at booking -------------------------------------------------------------------------


def test_a_fan_books_with_goal_tricks_and_a_goal_note(client, api_token):
    player = PlayerFactory()
    goals = [trick_id("Lunar"), trick_id("Airplane")]
    response = book(client, api_token(FanFactory()), player.id, goals=goals, goal_note="  Lunar keeps tipping over. ")
    assert response.status_code == 201, response.json
    assert response.json["goals"] == [{"id": goals[0], "name": "Lunar"}, {"id": goals[1], "name": "Airplane"}]
    assert response.json["goal_note"] == "Lunar keeps tipping over."
    # The player reads them on the session too.
    seen = client.get(f"/api/sessions/{response.json['id']}", headers=api_token(player)).json
    assert [g["name"] for g in seen["goals"]] == ["Lunar", "Airplane"]


@pytest.mark.parametrize(
    ("goals", "note", "field"),
    [
        (["Lunar", "Airplane", "Bird", "Spike"], "", "goals"),  # four
        ([999999], "", "goals"),  # not in the catalog
        (["retired"], "", "goals"),
        (["Lunar"], "x" * 2001, "goal_note"),
    ],
)
def test_bad_goals_are_refused_and_nothing_is_booked(client, api_token, goals, note, field):
    retired = Trick(name="Old Trick", aliases=[], level=3, family="cups", retired_at=utcnow())
    db.session.add(retired)
    db.session.commit()
    ids = [retired.id if g == "retired" else trick_id(g) if isinstance(g, str) else g for g in goals]
    response = book(client, api_token(FanFactory()), PlayerFactory().id, goals=ids, goal_note=note)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(SessionGoal)) == 0
    assert client.get("/api/sessions", headers=api_token(FanFactory())).json["items"] == []


# --- progress ---------------------------------------------------------------------------------


def started_session(**extra):
    start = utcnow() - timedelta(hours=2)
    return LiveSessionFactory(
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        status="completed",
        **extra,
    )


def test_the_player_marks_progress_and_the_fan_sees_each_tricks_history(client, api_token):
    first = started_session()
    fan, player = first.fan, first.player
    later_start = utcnow() - timedelta(minutes=40)
    second = LiveSessionFactory(
        fan=fan,
        player=PlayerFactory(),
        starts_at=later_start,
        ends_at=later_start + timedelta(minutes=30),
        blocked_until=later_start + timedelta(minutes=30),
        status="completed",
    )
    lunar = trick_id("Lunar")
    body = {"items": [{"trick_id": lunar, "state": "closer", "note": "Softer knees."}]}
    response = client.put(f"/api/sessions/{first.id}/progress", headers=api_token(player), json=body)
    assert response.status_code == 200, response.json
    assert response.json["items"][0]["state"] == "closer"
    landed = {"items": [{"trick_id": lunar, "state": "landed"}]}
    assert (
        client.put(f"/api/sessions/{second.id}/progress", headers=api_token(second.player), json=landed).status_code
        == 200
    )
    # Marking again replaces the mark of that session.
    again = {"items": [{"trick_id": lunar, "state": "not_yet", "note": "Tired today."}]}
    assert client.put(f"/api/sessions/{first.id}/progress", headers=api_token(player), json=again).status_code == 200

    items = client.get("/api/users/me/progress", headers=api_token(fan)).json["items"]
    assert [i["trick"]["name"] for i in items] == ["Lunar"]
    assert items[0]["latest_state"] == "landed"
    assert [(h["session_id"], h["state"]) for h in items[0]["history"]] == [
        (first.id, "not_yet"),
        (second.id, "landed"),
    ]
    assert db.session.scalar(select(func.count()).select_from(ProgressMark)) == 2


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("fan", {"items": [{"trick_id": "Lunar", "state": "landed"}]}, 403),
        ("stranger", {"items": [{"trick_id": "Lunar", "state": "landed"}]}, 404),
        ("player", {"items": [{"trick_id": "Lunar", "state": "nailed"}]}, 422),
        ("player", {"items": [{"trick_id": 999999, "state": "landed"}]}, 422),
        ("player", {"items": [{"trick_id": "Lunar", "state": "landed", "note": "x" * 281}]}, 422),
        ("player", {"items": []}, 422),
    ],
)
def test_progress_refusals_change_nothing(client, api_token, who, body, status):
    session = started_session()
    user = {"fan": session.fan, "player": session.player, "stranger": FanFactory()}[who]
    for item in body["items"]:
        if isinstance(item["trick_id"], str):
            item["trick_id"] = trick_id(item["trick_id"])
    response = client.put(f"/api/sessions/{session.id}/progress", headers=api_token(user), json=body)
    assert response.status_code == status, response.json
    assert db.session.scalar(select(func.count()).select_from(ProgressMark)) == 0


def test_progress_waits_for_the_start(client, api_token):
    session = LiveSessionFactory()  # tomorrow
    body = {"items": [{"trick_id": trick_id("Lunar"), "state": "landed"}]}
    response = client.put(f"/api/sessions/{session.id}/progress", headers=api_token(session.player), json=body)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_started"
