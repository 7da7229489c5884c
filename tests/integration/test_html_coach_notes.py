"""Coach notes on the pages: the player writes notes beside the recording and publishes them, the
fan then sees them as a list that seeks the video and as a chapters track; a marker from the call."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import CoachNote, SessionRecording, Trick, utcnow

from ..conftest import csrf_token_from
from ..support.factories import LiveSessionFactory

pytestmark = pytest.mark.both_databases


def recorded_lesson(status="completed"):
    start = utcnow() - timedelta(hours=1)
    session = LiveSessionFactory(
        status=status,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        started_at=start,
        fan_recording_consent=True,
        player_recording_consent=True,
    )
    part = SessionRecording(
        session_id=session.id,
        provider_recording_id=f"rec-{uuid.uuid4().hex[:12]}",
        status="ready",
        duration_seconds=600,
        created_at=start,
        ready_at=start + timedelta(minutes=40),
    )
    db.session.add(part)
    db.session.commit()
    return session, part


def test_the_player_writes_and_publishes_notes_and_the_fan_jumps_to_them(client, login):
    session, part = recorded_lesson()
    lunar = db.session.scalar(select(Trick).where(Trick.name == "Lunar"))
    login(session.player)
    page = client.get(f"/sessions/{session.id}/recording").get_data(as_text=True)
    assert '<label for="note-at">At (minutes:seconds)</label>' in page
    for at, text, trick in (("07:42", "Knees!", str(lunar.id)), ("1:05", "Look at the ball.", "")):
        response = client.post(
            f"/sessions/{session.id}/notes",
            data={"csrf_token": csrf_token_from(client), "at": at, "text": text, "trick_id": trick},
        )
        assert response.status_code == 303
    assert sorted(db.session.scalars(select(CoachNote.at_seconds))) == [65, 462]
    # Past the end of the recording: refused, nothing stored.
    client.post(
        f"/sessions/{session.id}/notes", data={"csrf_token": csrf_token_from(client), "at": "11:00", "text": "x"}
    )
    assert db.session.query(CoachNote).count() == 2

    login(session.fan)
    assert "Knees!" not in client.get(f"/sessions/{session.id}/recording").get_data(as_text=True)  # not published yet

    login(session.player)
    client.post(f"/sessions/{session.id}/notes/publish", data={"csrf_token": csrf_token_from(client)})
    login(session.fan)
    page = client.get(f"/sessions/{session.id}/recording").get_data(as_text=True)
    assert 'data-seek="65"' in page and 'data-seek="462"' in page
    assert page.index("Look at the ball.") < page.index("<strong>Lunar:</strong> Knees!")  # in time order
    assert (
        f'<track kind="chapters" srclang="en" label="Coach notes" src="/sessions/{session.id}/recording/chapters.vtt?recording={part.id}">'
        in page
    )
    chapters = client.get(f"/sessions/{session.id}/recording/chapters.vtt?recording={part.id}").get_data(as_text=True)
    assert chapters.startswith("WEBVTT")
    assert "00:01:05.000 --> 00:07:42.000\nLook at the ball." in chapters


def test_the_player_drops_a_marker_during_the_call(client, login):
    session, _part = recorded_lesson(status="in_progress")
    db.session.execute(
        SessionRecording.__table__.update()
        .where(SessionRecording.session_id == session.id)
        .values(status="in_progress")
    )
    db.session.commit()
    login(session.player)
    response = client.post(
        f"/sessions/{session.id}/markers",
        data={"csrf_token": csrf_token_from(client), "text": ""},
        headers={"X-Requested-With": "marker"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    marker = db.session.scalar(select(CoachNote))
    assert marker.source == "marker" and marker.text == "Marker"
    assert response.json["at_label"] == f"{marker.at_seconds // 60:02d}:{marker.at_seconds % 60:02d}"
    assert 3500 <= marker.at_seconds <= 3700  # about an hour into the recording
