"""The video pages through HTTP: the join page, its consent and no-show forms, the dashboard's Join button."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kendama.extensions import db
from kendama.models import ConsentRecord, LiveSession
from kendama.services.calendars import ics

from ..conftest import csrf_token_from
from ..support.factories import AdminFactory, FanFactory
from ..support.video_support import session_at

pytestmark = pytest.mark.both_databases


def test_the_join_page_is_for_the_two_participants_only(client, login):
    session = session_at(timedelta(hours=3))
    login(FanFactory())
    assert client.get(f"/sessions/{session.id}/join").status_code == 404
    login(AdminFactory())
    assert client.get(f"/sessions/{session.id}/join").status_code == 403
    login(session.fan)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert "The room opens at" in page and "will <strong>not</strong> be recorded" in page


def test_a_participant_consents_through_the_form(client, login):
    session = session_at(timedelta(hours=3), player_recording_consent=True)
    login(session.fan)
    response = client.post(
        f"/sessions/{session.id}/consent", data={"recording": "y", "csrf_token": csrf_token_from(client)}
    )
    assert response.status_code == 303 and response.location.endswith(f"/sessions/{session.id}/join")
    assert db.session.get(LiveSession, session.id).recording_allowed
    rows = db.session.scalars(db.select(ConsentRecord).where(ConsentRecord.session_id == session.id)).all()
    assert {(r.user_id, r.kind, r.granted) for r in rows} == {
        (session.fan_id, "recording", True),
        (session.fan_id, "sharing", False),
    }
    page = client.get(response.location).get_data(as_text=True)
    assert "This session will be recorded: you both agreed." in page


def test_consent_without_the_csrf_token_is_refused(client, login):
    session = session_at(timedelta(hours=3))
    login(session.fan)
    assert client.post(f"/sessions/{session.id}/consent", data={"recording": "y"}).status_code == 400
    assert not db.session.get(LiveSession, session.id).fan_recording_consent


def test_the_player_marks_a_no_show_from_the_join_page(client, login):
    session = session_at(timedelta(minutes=-5))
    login(session.player)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert "did not come: mark a no-show" in page
    response = client.post(f"/sessions/{session.id}/no-show", data={"csrf_token": csrf_token_from(client)})
    assert response.status_code == 303
    assert db.session.get(LiveSession, session.id).status == "no_show"


def test_the_dashboard_shows_join_while_the_room_is_open(client, login):
    open_now = session_at(timedelta(minutes=5))
    later = session_at(timedelta(days=1), fan=open_now.fan)
    login(open_now.fan)
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert f'href="/sessions/{open_now.id}/join">Join the call' in dashboard
    assert f'href="/sessions/{later.id}/join">Join the call' not in dashboard


def test_the_player_ends_the_lesson_from_the_join_page(client, login):
    session = session_at(timedelta(minutes=-5), status="in_progress")
    login(session.fan)
    assert "End the lesson" not in client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert client.post(f"/sessions/{session.id}/end", data={"csrf_token": csrf_token_from(client)}).status_code == 303
    assert db.session.get(LiveSession, session.id).status == "in_progress"  # the fan cannot end it

    login(session.player)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert f'action="/sessions/{session.id}/end"' in page and "End the lesson" in page
    assert client.post(f"/sessions/{session.id}/end").status_code == 400  # no CSRF token
    assert db.session.get(LiveSession, session.id).status == "in_progress"
    response = client.post(f"/sessions/{session.id}/end", data={"csrf_token": csrf_token_from(client)})
    assert response.status_code == 303 and response.location.endswith(f"/sessions/{session.id}/join")
    assert db.session.get(LiveSession, session.id).status == "completed"
    page = client.get(response.location).get_data(as_text=True)
    assert "The lesson has ended" in page and 'id="join-call"' not in page


def test_the_api_ends_the_lesson_for_the_player_only(client, api_token):
    session = session_at(timedelta(minutes=-5), status="in_progress")
    refused = client.post(f"/api/sessions/{session.id}/end", headers=api_token(session.fan))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "player_only"
    ended = client.post(f"/api/sessions/{session.id}/end", headers=api_token(session.player))
    assert ended.status_code == 200
    assert ended.json["id"] == session.id and ended.json["status"] == "completed"
    assert ended.json["completed_at"].endswith("Z")
    again = client.post(f"/api/sessions/{session.id}/end", headers=api_token(session.player))
    assert again.status_code == 409 and again.json["error"]["code"] == "session_ended"


def test_after_the_session_the_fan_allows_sharing_and_withdraws_it_from_the_recording_page(client, login):
    from kendama.models import SessionRecording

    session = session_at(
        timedelta(days=-1), status="completed", fan_recording_consent=True, player_recording_consent=True
    )
    db.session.add(SessionRecording(session_id=session.id, provider_recording_id=f"r-{session.id}", status="ready"))
    db.session.commit()
    login(session.fan)
    for page in (f"/sessions/{session.id}/recording", f"/sessions/{session.id}/join"):
        html = client.get(page).get_data(as_text=True)
        assert f'action="/sessions/{session.id}/sharing"' in html and ">Allow sharing</button>" in html

    response = client.post(
        f"/sessions/{session.id}/sharing",
        data={"allow": "y", "back": "recording", "csrf_token": csrf_token_from(client)},
    )
    assert response.status_code == 303 and response.location.endswith(f"/sessions/{session.id}/recording")
    assert db.session.get(LiveSession, session.id).fan_sharing_consent
    html = client.get(response.location).get_data(as_text=True)
    assert ">Allow sharing</button>" not in html and "Withdraw my permission to share" in html

    response = client.post(
        f"/sessions/{session.id}/sharing", data={"back": "recording", "csrf_token": csrf_token_from(client)}
    )
    assert response.status_code == 303 and not db.session.get(LiveSession, session.id).fan_sharing_consent
    assert client.post(f"/sessions/{session.id}/sharing", data={"allow": "y"}).status_code == 400  # no CSRF token


def test_the_api_allows_sharing_after_the_session(client, api_token):
    session = session_at(
        timedelta(days=-1), status="completed", fan_recording_consent=True, player_recording_consent=True
    )
    body = {"recording": True, "sharing": True}
    answer = client.post(f"/api/sessions/{session.id}/consent", headers=api_token(session.fan), json=body)
    assert answer.status_code == 200 and answer.json["sharing"]["fan"] is True
    locked = client.post(
        f"/api/sessions/{session.id}/consent", headers=api_token(session.fan), json={"recording": False}
    )
    assert locked.status_code == 409 and locked.json["error"]["code"] == "consent_locked"


def test_the_join_page_and_the_invitation_state_the_configured_opening(client, login, app, monkeypatch):
    """They said "10 minutes" whatever VIDEO_JOIN_EARLY_MINUTES said."""
    monkeypatch.setitem(app.config, "VIDEO_JOIN_EARLY_MINUTES", 15)
    session = session_at(timedelta(hours=3))
    login(session.fan)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert "15 minutes before the start" in page and "10 minutes" not in page
    invitation = ics.invitation(session).decode()
    assert "15 minutes before" in invitation.replace("\r\n ", "") and "10 minutes" not in invitation
