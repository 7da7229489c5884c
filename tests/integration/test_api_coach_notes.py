"""The coach notes API and the chapters track route: statuses, bodies, and what the fan sees."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from kendama.extensions import db, mail
from kendama.models import SessionRecording, Trick, utcnow
from kendama.tasks.queue import dispatch_committed

from ..support.factories import FanFactory, LiveSessionFactory

pytestmark = pytest.mark.both_databases


@pytest.fixture
def recorded():
    """A lesson two days ago with a ready ten-minute recording."""
    start = (utcnow() - timedelta(days=2)).replace(microsecond=0)
    session = LiveSessionFactory(
        status="completed",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
    )
    part = SessionRecording(
        session_id=session.id,
        provider_recording_id=f"rec-{uuid.uuid4().hex[:12]}",
        status="ready",
        duration_seconds=600,
        created_at=start,
    )
    db.session.add(part)
    db.session.commit()
    session.part = part
    return session


def active_trick() -> Trick:
    return db.session.scalar(select(Trick).where(Trick.retired_at.is_(None)).order_by(Trick.id).limit(1))


def test_player_writes_a_note_and_reads_it_back(client, api_token, recorded):
    headers = api_token(recorded.player)
    spike = active_trick()
    body = {"at_seconds": 462, "text": "Bend the knees", "trick_id": spike.id, "recording_id": None}
    response = client.post(f"/api/sessions/{recorded.id}/notes", headers=headers, json=body)
    assert response.status_code == 201, response.json
    note = response.json
    assert note == {
        "id": note["id"],
        "session_id": recorded.id,
        "at_seconds": 462,
        "at_label": "07:42",
        "text": "Bend the knees",
        "trick": {"id": spike.id, "name": spike.name},
        "source": "note",
        "published": False,
        "recording_id": recorded.part.id,
    }
    listed = client.get(f"/api/sessions/{recorded.id}/notes", headers=headers)
    assert listed.status_code == 200 and listed.json == {"items": [note]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"at_seconds": 601, "text": "Past the end"}, "at_seconds"),
        ({"at_seconds": -1, "text": "Before the start"}, "at_seconds"),
        ({"at_seconds": 1, "text": "x" * 2001}, "text"),
        ({"at_seconds": 1, "text": "Unknown", "trick_id": 999_999}, "trick_id"),
    ],
)
def test_invalid_notes_are_422_with_the_field(client, api_token, recorded, body, field):
    response = client.post(f"/api/sessions/{recorded.id}/notes", headers=api_token(recorded.player), json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]


def test_a_retired_trick_is_422(client, api_token, recorded):
    retired = active_trick()
    retired.retired_at = utcnow()
    db.session.commit()
    body = {"at_seconds": 1, "text": "Old", "trick_id": retired.id}
    response = client.post(f"/api/sessions/{recorded.id}/notes", headers=api_token(recorded.player), json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"trick_id": "Choose a trick from the catalog."}


def test_the_fan_may_not_write_and_a_stranger_learns_nothing(client, api_token, recorded):
    body = {"at_seconds": 1, "text": "Hello"}
    assert (
        client.post(f"/api/sessions/{recorded.id}/notes", headers=api_token(recorded.fan), json=body).status_code == 403
    )
    stranger = api_token(FanFactory())
    assert client.post(f"/api/sessions/{recorded.id}/notes", headers=stranger, json=body).status_code == 404
    assert client.get(f"/api/sessions/{recorded.id}/notes", headers=stranger).status_code == 404


def test_the_fan_sees_published_notes_and_is_emailed_once(client, api_token, recorded):
    player, fan = api_token(recorded.player), api_token(recorded.fan)
    url = f"/api/sessions/{recorded.id}/notes"
    client.post(url, headers=player, json={"at_seconds": 5, "text": "Warm up"})
    assert client.get(url, headers=fan).json == {"items": []}
    with mail.record_messages() as sent:
        response = client.post(f"{url}/publish", headers=player)
        dispatch_committed()
    assert response.status_code == 200 and response.json == {"published": 1}
    (message,) = sent
    assert recorded.fan.email in message.recipients[0] and "00:05" in message.body
    items = client.get(url, headers=fan).json["items"]
    assert [(item["text"], item["published"]) for item in items] == [("Warm up", True)]
    with mail.record_messages() as sent:
        assert client.post(f"{url}/publish", headers=player).json == {"published": 0}
        dispatch_committed()
    assert sent == []


def test_player_deletes_a_note(client, api_token, recorded):
    player = api_token(recorded.player)
    url = f"/api/sessions/{recorded.id}/notes"
    note_id = client.post(url, headers=player, json={"at_seconds": 5, "text": "Oops"}).json["id"]
    assert client.delete(f"{url}/{note_id}", headers=api_token(recorded.fan)).status_code == 403
    assert client.delete(f"{url}/{note_id}", headers=player).status_code == 204
    assert client.delete(f"{url}/{note_id}", headers=player).status_code == 404
    assert client.get(url, headers=player).json == {"items": []}


def test_a_note_before_the_recording_is_ready_is_409(client, api_token):
    start = utcnow() - timedelta(minutes=5)
    live = LiveSessionFactory(
        status="in_progress",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
    )
    response = client.post(
        f"/api/sessions/{live.id}/notes", headers=api_token(live.player), json={"at_seconds": 1, "text": "Hi"}
    )
    assert response.status_code == 409
    assert response.json["error"]["message"] == "There is no recording to write notes on yet."


def test_chapters_track_is_webvtt_for_participants(client, login, api_token, recorded):
    client.post(
        f"/api/sessions/{recorded.id}/notes",
        headers=api_token(recorded.player),
        json={"at_seconds": 5, "text": "A & B"},
    )
    login(recorded.player)
    response = client.get(f"/sessions/{recorded.id}/recording/chapters.vtt")
    assert response.status_code == 200 and response.mimetype == "text/vtt"
    assert response.get_data(as_text=True) == "WEBVTT\n\n00:00:05.000 --> 00:10:00.000\nA &amp; B\n"


def test_the_player_drops_a_marker_during_the_lesson_and_nobody_else_can(client, api_token):
    start = (utcnow() - timedelta(minutes=5)).replace(microsecond=0)
    session = LiveSessionFactory(
        status="in_progress",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        started_at=start,
    )
    response = client.post(f"/api/sessions/{session.id}/markers", headers=api_token(session.player), json={})
    assert response.status_code == 201, response.json
    marker = response.json
    assert (marker["source"], marker["text"], marker["published"]) == ("marker", "Marker", False)
    assert 295 <= marker["at_seconds"] <= 310  # about five minutes into the call
    assert (
        client.post(f"/api/sessions/{session.id}/markers", headers=api_token(session.fan), json={}).status_code == 403
    )
    too_long = {"text": "x" * 2001}
    response = client.post(f"/api/sessions/{session.id}/markers", headers=api_token(session.player), json=too_long)
    assert response.status_code == 422 and response.json["error"]["fields"]


def test_no_marker_outside_the_lesson(client, api_token, recorded):
    response = client.post(f"/api/sessions/{recorded.id}/markers", headers=api_token(recorded.player), json={})
    assert response.status_code == 409
