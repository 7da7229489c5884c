"""The video service: who may join and when, what the token grants, consent, and the live states."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kendama.extensions import db
from kendama.models import ConsentRecord, LiveSession, utcnow
from kendama.services.errors import InvalidInput, NotAllowed, NotFound, ProviderUnavailable, WrongState
from kendama.services.video import calls, recording_consent

from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory
from ..support.video_support import room_name, session_at

pytestmark = [pytest.mark.both_databases, pytest.mark.usefixtures("use_sandbox")]


def start_of(session):
    return session.starts_at


# --- The join window ---------------------------------------------------------------------------


def test_eleven_minutes_before_the_start_is_too_early():
    session = LiveSessionFactory()
    with pytest.raises(WrongState) as refused:
        calls.join(session.fan, session.id, now=session.starts_at - timedelta(minutes=11))
    assert refused.value.code == "too_early"
    assert db.session.get(LiveSession, session.id).status == "confirmed"


def test_ten_minutes_before_the_start_the_room_opens():
    session = LiveSessionFactory()
    grant = calls.join(session.fan, session.id, now=session.starts_at - timedelta(minutes=10))
    assert grant.token and grant.room_url.endswith("/call/" + room_name(session.id, 0))
    session = db.session.get(LiveSession, session.id)
    assert session.status == "in_progress"
    assert session.fan_joined_at is not None and session.player_joined_at is None


@pytest.mark.parametrize("after_end", [timedelta(0), timedelta(minutes=5)])
def test_at_and_after_the_end_joining_is_refused(after_end):
    session = LiveSessionFactory()
    with pytest.raises(WrongState) as refused:
        calls.join(session.player, session.id, now=session.ends_at + after_end)
    assert refused.value.code == "session_ended"


@pytest.mark.parametrize(
    ("status", "code"),
    [("cancelled", "session_cancelled"), ("pending_payment", "payment_pending"), ("no_show", "session_ended")],
)
def test_sessions_not_confirmed_cannot_be_joined(status, code):
    session = LiveSessionFactory(status=status)
    with pytest.raises(WrongState) as refused:
        calls.join(session.fan, session.id, now=session.starts_at)
    assert refused.value.code == code


# --- Who may join ------------------------------------------------------------------------------


def test_a_stranger_and_the_fan_of_another_session_get_not_found():
    session = LiveSessionFactory()
    other = LiveSessionFactory()
    for outsider in (FanFactory(), PlayerFactory(), other.fan, other.player):
        with pytest.raises(NotFound):
            calls.join(outsider, session.id, now=session.starts_at)


def test_an_admin_may_look_but_not_join():
    session = LiveSessionFactory()
    with pytest.raises(NotAllowed):
        calls.join(AdminFactory(), session.id, now=session.starts_at)


# --- What the token grants ------------------------------------------------------------------------


def test_tokens_are_scoped_to_the_room_the_user_and_the_window(sandbox):
    session = LiveSessionFactory()
    fan_grant = calls.join(session.fan, session.id, now=session.starts_at)
    player_grant = calls.join(session.player, session.id, now=session.starts_at)
    room = room_name(session.id, 0)
    opens = int((session.starts_at - timedelta(minutes=10)).timestamp())
    ends = int(session.ends_at.timestamp())

    fan = sandbox.token_properties(fan_grant.token)
    assert (fan["room_name"], fan["user_id"], fan["nbf"], fan["exp"]) == (room, str(session.fan_id), opens, ends)
    assert fan["eject_at_token_exp"] is True and fan["is_owner"] is False
    player = sandbox.token_properties(player_grant.token)
    assert (player["room_name"], player["user_id"], player["is_owner"]) == (room, str(session.player_id), True)

    made = sandbox.api("GET", f"/rooms/{room}").json()
    assert made["privacy"] == "private"
    assert made["config"]["nbf"] == opens and made["config"]["exp"] == ends
    assert made["config"]["max_participants"] == 2 and made["config"]["eject_at_room_exp"] is True


@pytest.mark.parametrize(
    ("fan_consents", "player_consents"), [(True, True), (True, False), (False, True), (False, False)]
)
def test_recording_only_when_both_consented(sandbox, fan_consents, player_consents):
    session = LiveSessionFactory(fan_recording_consent=fan_consents, player_recording_consent=player_consents)
    both = fan_consents and player_consents
    for user in (session.fan, session.player):
        grant = calls.join(user, session.id, now=session.starts_at)
        properties = sandbox.token_properties(grant.token)
        assert grant.recording is both
        assert properties.get("start_cloud_recording", False) is both
        assert properties.get("enable_recording") == ("cloud" if both else None)
        assert properties["enable_recording_ui"] is False  # nobody records by hand


def test_a_rescheduled_session_gets_a_new_room(sandbox):
    session = LiveSessionFactory()
    calls.join(session.fan, session.id, now=session.starts_at)
    session = db.session.get(LiveSession, session.id)
    # What booking.reschedule does to the video fields.
    session.room_name = session.room_url = None
    session.ics_sequence += 1
    session.status = "confirmed"
    db.session.commit()
    grant = calls.join(session.fan, session.id, now=session.starts_at)
    assert grant.room_url.endswith("/call/" + room_name(session.id, 1))


def test_a_provider_outage_is_a_clear_503(app, monkeypatch):
    session = LiveSessionFactory()
    monkeypatch.setitem(app.config, "VIDEO_SANDBOX_URL", "http://127.0.0.1:9/_sandbox/video")  # nothing listens
    monkeypatch.setitem(app.config, "DAILY_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(calls.provider(), "backoff_seconds", 0.0)  # retries still happen, without the pauses
    with pytest.raises(ProviderUnavailable) as failed:
        calls.join(session.fan, session.id, now=session.starts_at)
    assert failed.value.status == 503 and "try again" in failed.value.message
    assert db.session.get(LiveSession, session.id).status == "confirmed"


def test_a_token_the_provider_cannot_issue_is_a_clear_503_logged_with_the_session(app, monkeypatch, caplog):
    session = LiveSessionFactory(room_name=None)
    session.room_name, session.room_url = room_name(session.id, 0), "https://video.example/call/room"
    db.session.commit()  # the room exists already: only the token is asked for
    monkeypatch.setitem(app.config, "VIDEO_SANDBOX_URL", "http://127.0.0.1:9/_sandbox/video")  # nothing listens
    monkeypatch.setitem(app.config, "DAILY_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(calls.provider(), "backoff_seconds", 0.0)
    with pytest.raises(ProviderUnavailable) as failed, caplog.at_level("WARNING", logger=calls.log.name):
        calls.join(session.fan, session.id, now=session.starts_at)
    assert (failed.value.status, failed.value.code) == (503, "video_unavailable")
    assert f"meeting token for session {session.id} failed" in caplog.text
    assert db.session.get(LiveSession, session.id).status == "confirmed"


def test_without_a_key_where_sandboxes_are_refused_video_is_off(app, monkeypatch):
    session = LiveSessionFactory()
    monkeypatch.setitem(app.config, "SANDBOXES_ALLOWED", False)
    with pytest.raises(ProviderUnavailable) as failed:
        calls.join(session.fan, session.id, now=session.starts_at)
    assert failed.value.code == "video_not_configured" and "DAILY_API_KEY" not in failed.value.message


def test_an_app_serving_its_own_sandbox_calls_it_without_a_socket(app, monkeypatch):
    from kendama.integrations.video.sandbox.wsgi_transport import WSGITransport

    monkeypatch.setitem(app.config, "VIDEO_SANDBOX_URL", None)
    provider = calls.provider()
    assert provider.base_url == "http://localhost/_sandbox/video"
    assert isinstance(provider.http.get_adapter(f"{provider.base_url}/rooms"), WSGITransport)
    monkeypatch.setitem(app.config, "VIDEO_SANDBOX_TRANSPORT", "http")
    assert not isinstance(calls.provider().http.get_adapter(f"{provider.base_url}/rooms"), WSGITransport)


def test_with_a_real_key_the_sandbox_is_never_used(app, monkeypatch):
    monkeypatch.setitem(app.config, "DAILY_API_KEY", "real-key")
    provider = calls.provider()
    assert provider.base_url == "https://api.daily.co/v1"
    assert provider.http.headers["Authorization"] == "Bearer real-key"


# --- Rooms made ahead and cleaned up ---------------------------------------------------------------


def test_rooms_are_made_ahead_of_the_start_and_deleted_after(app, sandbox):
    soon = session_at(timedelta(minutes=60))
    later = session_at(timedelta(days=2))
    assert calls.prepare_rooms() >= 1
    soon, later = db.session.get(LiveSession, soon.id), db.session.get(LiveSession, later.id)
    assert soon.room_name == room_name(soon.id, 0) and later.room_url is None
    assert sandbox.api("GET", f"/rooms/{soon.room_name}").status_code == 200

    keep = timedelta(minutes=app.config["VIDEO_ROOM_KEEP_MINUTES"])
    calls.cleanup_rooms(now=soon.ends_at + keep)
    soon = db.session.get(LiveSession, soon.id)
    assert soon.room_url is None and soon.room_name  # the name stays for late webhooks
    assert sandbox.api("GET", f"/rooms/{soon.room_name}").status_code == 404


def test_sessions_in_progress_are_completed_at_the_end():
    session = LiveSessionFactory()
    calls.join(session.fan, session.id, now=session.starts_at)
    assert calls.finish_ended_sessions(now=session.ends_at - timedelta(seconds=1)) == 0
    calls.finish_ended_sessions(now=session.ends_at)
    session = db.session.get(LiveSession, session.id)
    assert session.status == "completed" and session.completed_at == session.ends_at


# --- No-show -----------------------------------------------------------------------------------


def test_the_player_marks_a_no_show_only_after_the_start_and_only_if_the_fan_never_came():
    session = LiveSessionFactory()
    with pytest.raises(WrongState):
        calls.mark_no_show(session.player, session.id, now=session.starts_at - timedelta(minutes=1))
    with pytest.raises(NotAllowed):
        calls.mark_no_show(session.fan, session.id, now=session.starts_at + timedelta(minutes=5))
    marked = calls.mark_no_show(session.player, session.id, now=session.starts_at + timedelta(minutes=5))
    assert marked.status == "no_show" and marked.no_show_marked_at is not None


def test_no_show_is_refused_when_the_fan_joined():
    session = LiveSessionFactory()
    calls.join(session.fan, session.id, now=session.starts_at)
    with pytest.raises(WrongState) as refused:
        calls.mark_no_show(session.player, session.id, now=session.starts_at + timedelta(minutes=5))
    assert refused.value.code == "fan_joined"


# --- Ending the lesson ----------------------------------------------------------------------------


def in_the_call(sandbox, user, session_id):
    """The user's page joins the sandbox call; returns (grant, participant id)."""
    grant = calls.join(user, session_id)
    joined = sandbox.call(grant.room_url, "join", {"token": grant.token}).json()
    return grant, joined["participant_id"]


def test_the_player_ends_the_lesson_and_the_room_closes_for_both(sandbox):
    session = session_at(timedelta(minutes=-5))  # started five minutes ago (the sandbox keeps real time)
    fan_grant, fan_in_call = in_the_call(sandbox, session.fan, session.id)
    in_the_call(sandbox, session.player, session.id)

    ended = calls.end_lesson(session.player, session.id)
    assert ended.status == "completed" and ended.completed_at is not None
    assert ended.completed_at < ended.ends_at

    presence = sandbox.call(fan_grant.room_url, "presence", {"token": fan_grant.token, "participant_id": fan_in_call})
    assert presence.json()["in_call"] is False and presence.json()["participants"] == []
    rejoin = sandbox.call(fan_grant.room_url, "join", {"token": fan_grant.token})  # the fan's token still in hand
    assert rejoin.status_code == 403 and rejoin.json()["error"] == "exp-room"
    for user in (session.fan, session.player):
        with pytest.raises(WrongState) as refused:
            calls.join(user, session.id)
        assert refused.value.code == "session_ended"
    assert sandbox.api("GET", f"/rooms/{ended.room_name}").status_code == 200  # kept for its recordings


def test_only_the_player_ends_the_lesson_and_only_while_it_is_on():
    session = LiveSessionFactory()
    with pytest.raises(WrongState) as refused:
        calls.end_lesson(session.player, session.id, now=session.starts_at + timedelta(minutes=1))
    assert refused.value.code == "not_started"  # nobody joined: a no-show, not an ended lesson
    calls.join(session.fan, session.id, now=session.starts_at - timedelta(minutes=5))
    with pytest.raises(WrongState) as refused:
        calls.end_lesson(session.player, session.id, now=session.starts_at - timedelta(minutes=1))
    assert refused.value.code == "too_early"
    with pytest.raises(NotAllowed):
        calls.end_lesson(session.fan, session.id, now=session.starts_at + timedelta(minutes=1))
    with pytest.raises(NotFound):
        calls.end_lesson(PlayerFactory(), session.id, now=session.starts_at + timedelta(minutes=1))
    with pytest.raises(WrongState) as refused:
        calls.end_lesson(session.player, session.id, now=session.ends_at)
    assert refused.value.code == "session_ended"
    assert db.session.get(LiveSession, session.id).status == "in_progress"

    calls.end_lesson(session.player, session.id, now=session.starts_at + timedelta(minutes=1))
    with pytest.raises(WrongState) as refused:
        calls.end_lesson(session.player, session.id, now=session.starts_at + timedelta(minutes=2))
    assert refused.value.code == "session_ended"


# --- Consent -----------------------------------------------------------------------------------


def consent_rows(session_id):
    return db.session.scalars(
        db.select(ConsentRecord).where(ConsentRecord.session_id == session_id).order_by(ConsentRecord.id)
    ).all()


def test_consent_is_recorded_with_who_and_what():
    session = LiveSessionFactory()
    before = utcnow()
    recording_consent.set_consent(session.fan, session.id, recording=True, sharing=True)
    state = recording_consent.set_consent(session.player, session.id, recording=True)
    assert state.recording and not state.sharing  # the player has not allowed sharing
    rows = [(r.user_id, r.kind, r.granted) for r in consent_rows(session.id)]
    assert rows == [
        (session.fan_id, "recording", True),
        (session.fan_id, "sharing", True),
        (session.player_id, "recording", True),
        (session.player_id, "sharing", False),
    ]
    assert all(r.created_at >= before for r in consent_rows(session.id))
    # Saying the same again adds nothing.
    recording_consent.set_consent(session.fan, session.id, recording=True, sharing=True)
    assert len(consent_rows(session.id)) == 4


def test_sharing_needs_recording():
    session = LiveSessionFactory()
    with pytest.raises(InvalidInput) as refused:
        recording_consent.set_consent(session.fan, session.id, recording=False, sharing=True)
    assert "sharing" in refused.value.fields


def test_consent_to_recording_is_locked_from_the_start_but_sharing_changes_at_any_time():
    session = LiveSessionFactory(
        fan_recording_consent=True, player_recording_consent=True, fan_sharing_consent=True, player_sharing_consent=True
    )
    after_start = session.starts_at + timedelta(minutes=1)
    with pytest.raises(WrongState) as refused:
        recording_consent.set_consent(session.fan, session.id, recording=False, now=after_start)
    assert refused.value.code == "consent_locked"
    state = recording_consent.set_consent(session.fan, session.id, recording=True, sharing=False, now=after_start)
    assert state.recording and not state.sharing
    state = recording_consent.set_consent(session.fan, session.id, recording=True, sharing=True, now=after_start)
    assert state.sharing


def test_sharing_is_given_after_the_session_and_withdrawn_by_either_participant():
    session = LiveSessionFactory(status="completed", fan_recording_consent=True, player_recording_consent=True)
    after = session.ends_at + timedelta(days=2)
    state = recording_consent.set_sharing(session.fan, session.id, allowed=True, now=after)
    assert state.fan_sharing and not state.sharing  # the player has not allowed it yet
    state = recording_consent.set_sharing(session.player, session.id, allowed=True, now=after)
    assert state.sharing and db.session.get(LiveSession, session.id).sharing_allowed
    assert [(r.user_id, r.kind, r.granted, r.created_at) for r in consent_rows(session.id)] == [
        (session.fan_id, "sharing", True, after),
        (session.player_id, "sharing", True, after),
    ]
    assert (session.fan_recording_consent, session.player_recording_consent) == (True, True)  # unchanged

    state = recording_consent.set_sharing(session.player, session.id, allowed=False, now=after + timedelta(minutes=1))
    assert not state.sharing and state.fan_sharing and not state.player_sharing


def test_sharing_needs_the_participants_own_consent_to_recording():
    session = LiveSessionFactory(status="completed", player_recording_consent=True)
    with pytest.raises(InvalidInput) as refused:
        recording_consent.set_sharing(session.fan, session.id, allowed=True, now=session.ends_at + timedelta(hours=1))
    assert "sharing" in refused.value.fields
    assert not db.session.get(LiveSession, session.id).fan_sharing_consent


def test_strangers_cannot_consent_for_a_session():
    session = LiveSessionFactory()
    with pytest.raises(NotFound):
        recording_consent.set_consent(FanFactory(), session.id, recording=True)


# --- The sandbox refuses where it must not run ------------------------------------------------------


def test_the_sandbox_refuses_with_a_real_key_or_in_production(app, client, monkeypatch):
    from kendama.integrations.video.sandbox import config as sandbox_config

    headers = {"Authorization": f"Bearer {sandbox_config.api_key(app)}"}
    assert client.get("/_sandbox/video/recordings", headers=headers).status_code == 200
    assert client.get("/_sandbox/video/recordings", headers={"Authorization": "Bearer wrong"}).status_code == 401
    monkeypatch.setitem(app.config, "DAILY_API_KEY", "real-key")
    refused = client.get("/_sandbox/video/recordings", headers=headers)
    assert refused.status_code == 404 and "DAILY_API_KEY" in refused.json["info"]
    monkeypatch.setitem(app.config, "DAILY_API_KEY", None)
    monkeypatch.setitem(app.config, "SANDBOXES_ALLOWED", False)
    assert client.get("/_sandbox/video/call/any-room").status_code == 404
    assert client.post("/_sandbox/video/meeting-tokens", json={"properties": {}}, headers=headers).status_code == 404
