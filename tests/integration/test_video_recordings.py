"""Recordings end to end: a sandbox call is recorded, its webhooks are verified and applied once,
and the recording is reached only through short-lived signed links, share links and the admin log."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
import requests

from kendama.extensions import db
from kendama.integrations.video.daily import sign_webhook
from kendama.integrations.video.sandbox import config as sandbox_config
from kendama.integrations.video.sandbox import recorders, recording_media
from kendama.integrations.video.sandbox.captions import NO_SPEECH
from kendama.integrations.video.sandbox.webhooks import signed_headers
from kendama.models import LiveSession, Notification, RecordingAccess, SessionRecording, WebhookEvent
from kendama.services.video import calls, recording_sync
from kendama.web.template_helpers import NBSP

from ..support.factories import AdminFactory, FanFactory
from ..support.video_support import deliver_webhooks, room_name, session_at

pytestmark = [pytest.mark.both_databases, pytest.mark.usefixtures("use_sandbox")]

CALL_SECONDS = 3.0  # how long the calls of these tests last, between the joins and the leaves
CALL_SPANS: dict[str, float] = {}  # room: seconds from the first join to the last leave, as measured
CONSENTED = {
    "fan_recording_consent": True,
    "player_recording_consent": True,
    "fan_sharing_consent": True,
    "player_sharing_consent": True,
}


@pytest.fixture
def secret(app):
    return sandbox_config.webhook_secret(app)


def hold_call(sandbox, session, *, between=None):
    """Both participants join the sandbox call and leave again; the meeting ends."""
    grants = [calls.join(user, session.id) for user in (session.fan, session.player)]
    began = time.monotonic()  # the recording starts at the first join and ends at the last leave
    people = [sandbox.call(g.room_url, "join", {"token": g.token}).json() for g in grants]
    assert all("participant_id" in p for p in people), people
    if between:
        between()
    for grant, person in zip(grants, people, strict=True):
        sandbox.call(grant.room_url, "leave", {"token": grant.token, "participant_id": person["participant_id"]})
    room = grants[0].room_url.rsplit("/", 1)[1]
    CALL_SPANS[room] = time.monotonic() - began
    recorders.wait_idle()  # the provider has closed the recording's file
    return room


@pytest.fixture
def recorded(client, sandbox, secret):
    """A finished, recorded session whose webhooks have been delivered."""
    session = session_at(timedelta(minutes=5), **CONSENTED)
    room = hold_call(sandbox, session, between=lambda: time.sleep(CALL_SECONDS))
    responses = deliver_webhooks(client, sandbox, secret=secret, room=room)
    assert [r.status_code for r in responses] == [200] * len(responses) and len(responses) >= 5
    return db.session.get(LiveSession, session.id)


def recording_of(session) -> SessionRecording:
    return db.session.scalars(db.select(SessionRecording).where(SessionRecording.session_id == session.id)).one()


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_the_reported_duration_is_the_length_of_the_media_file_on_every_page(
    client, login, api_token, sandbox, recorded
):
    # The sandbox's recorder wrote the call to a file; it reports that file's length, and every page agrees.
    reported = recording_of(recorded).duration_seconds
    media = sandbox.store.media_file(recording_of(recorded).provider_recording_id)
    seconds = recording_media.duration_seconds(media)
    span = CALL_SPANS[db.session.get(LiveSession, recorded.id).room_name]
    assert reported == round(seconds) and seconds == pytest.approx(span, rel=0.1)
    answer = client.get(f"/api/sessions/{recorded.id}/recording", headers=api_token(recorded.fan)).json
    assert answer["duration_seconds"] == reported
    login(recorded.fan)
    page = client.get(f"/sessions/{recorded.id}/recording").get_data(as_text=True)
    shown = f"{reported}{NBSP}s"  # one format, written by the duration filter
    assert f"Recording, {shown}." in page
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert f"Recording: ready, {shown}, with captions" in dashboard[dashboard.index('id="recordings"') :]
    login(AdminFactory())
    assert f"ready, {shown}" in client.get("/admin/recordings").get_data(as_text=True)
    admin_page = client.get(f"/admin/recordings/{recording_of(recorded).id}").get_data(as_text=True)
    assert f"ready, {shown}" in admin_page


# --- Sync ------------------------------------------------------------------------------------------


def test_a_finished_call_yields_a_recording_with_captions(recorded):
    recording = recording_of(recorded)
    assert recording.status == "ready" and recording.duration_seconds >= 1
    assert recording.storage_key.startswith("sandbox-recordings/")
    assert recording.captions_vtt.startswith("WEBVTT")
    # Nobody sent sound in this call (no browser): the captions say so rather than invent words.
    assert recording.captions_vtt.count(" --> ") == 1 and NO_SPEECH in recording.captions_vtt
    kinds = db.session.scalars(
        db.select(Notification.user_id).where(
            Notification.kind == "recording_ready", Notification.session_id == recorded.id
        )
    ).all()
    assert sorted(kinds) == sorted([recorded.fan_id, recorded.player_id])


def test_everyone_leaving_before_the_end_does_not_complete_the_session(recorded):
    # The sandbox posted meeting.ended when the last person left: the lesson still has its time.
    assert recorded.status == "in_progress" and recorded.completed_at is None
    joined = (recorded.fan_joined_at, recorded.player_joined_at, recorded.started_at)

    calls.join(recorded.fan, recorded.id)  # back after a dropped connection: the same session goes on
    again = db.session.get(LiveSession, recorded.id)
    assert again.status == "in_progress" and again.completed_at is None
    assert (again.fan_joined_at, again.player_joined_at, again.started_at) == joined


def test_a_second_meeting_in_the_room_is_part_2_of_the_same_session(app, client, login, api_token, sandbox, secret):
    session = session_at(timedelta(minutes=5), **CONSENTED)
    for _call in range(2):  # they meet, everyone leaves, and they come back before the end
        room = hold_call(sandbox, session)
        deliver_webhooks(client, sandbox, secret=secret, room=room)
    parts = db.session.scalars(
        db.select(SessionRecording).where(SessionRecording.session_id == session.id).order_by(SessionRecording.id)
    ).all()
    assert [p.status for p in parts] == ["ready", "ready"] and all(p.captions_vtt for p in parts)
    assert db.session.get(LiveSession, session.id).status == "in_progress"  # still one session, still on

    body = client.get(f"/api/sessions/{session.id}/recording", headers=api_token(session.fan)).json
    assert [(p["part"], p["status"]) for p in body["parts"]] == [(1, "ready"), (2, "ready")]
    assert all(p["download_url"] and p["captions_url"] for p in body["parts"])
    shared = client.post(f"/api/sessions/{session.id}/recording/share", headers=api_token(session.player))
    shared_page = app.test_client().get(path_of(shared.json["share_url"])).get_data(as_text=True)
    assert shared_page.count("<video") == 2 and "Part 2 of 2" in shared_page  # a share link opens every part

    login(session.fan)
    page = client.get(f"/sessions/{session.id}/recording").get_data(as_text=True)
    assert page.count("<video") == 2 and page.index("Part 1 of 2") < page.index("Part 2 of 2")
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    recordings_card = dashboard[dashboard.index('id="recordings"') :]
    assert "Part 1 of 2" in recordings_card and "Part 2 of 2" in recordings_card

    login(AdminFactory())
    listing = client.get("/admin/recordings").get_data(as_text=True)
    assert "part 1 of 2" in listing and "part 2 of 2" in listing
    assert "Part 2 of 2" in client.get(f"/admin/recordings/{parts[1].id}").get_data(as_text=True)


def test_the_periodic_sync_still_looks_for_a_later_part_once_the_first_has_settled(recorded):
    assert recorded.id not in recording_sync.sessions_to_sync()  # its one part is ready with captions
    db.session.add(
        SessionRecording(session_id=recorded.id, provider_recording_id=f"part-2-{recorded.id}", status="in_progress")
    )
    db.session.commit()
    assert recorded.id in recording_sync.sessions_to_sync()


def test_a_recording_without_both_consents_is_discarded(client, sandbox, secret):
    session = session_at(timedelta(minutes=5), **CONSENTED)

    def consent_lost_in_a_race():
        db.session.get(LiveSession, session.id).fan_recording_consent = False
        db.session.commit()

    room = hold_call(sandbox, session, between=consent_lost_in_a_race)
    deliver_webhooks(client, sandbox, secret=secret, room=room)
    recording = recording_of(session)
    assert recording.status == "deleted"
    assert sandbox.api("GET", f"/recordings/{recording.provider_recording_id}").status_code == 404
    assert client.get(f"/api/sessions/{session.id}/recording").status_code in (401, 404)


def test_a_recording_first_found_by_the_sync_is_announced_or_discarded_like_any_other(sandbox):
    kept = session_at(timedelta(minutes=5), **CONSENTED)
    hold_call(sandbox, kept)  # the provider's events never arrive
    unconsented = session_at(timedelta(minutes=5), **CONSENTED)

    def consent_withdrawn():
        db.session.get(LiveSession, unconsented.id).player_recording_consent = False
        db.session.commit()

    hold_call(sandbox, unconsented, between=consent_withdrawn)
    recording_sync.sync_session(kept.id)
    recording_sync.sync_session(unconsented.id)
    notified = db.session.scalars(
        db.select(Notification.user_id).where(
            Notification.kind == "recording_ready", Notification.session_id == kept.id
        )
    ).all()
    assert recording_of(kept).status == "ready" and sorted(notified) == sorted([kept.fan_id, kept.player_id])
    assert recording_of(unconsented).status == "deleted"


# --- The webhook ---------------------------------------------------------------------------------


def event_body(room: str) -> bytes:
    envelope = {
        "version": "1.0.0",
        "type": "meeting.ended",
        "id": f"met-end-test-{room}",
        "payload": {"start_ts": time.time() - 60, "end_ts": time.time(), "meeting_id": "m", "room": room},
        "event_ts": time.time(),
    }
    return json.dumps(envelope).encode()


def in_progress_session():
    session = session_at(timedelta(minutes=5))
    calls.join(session.fan, session.id)
    return db.session.get(LiveSession, session.id)


def test_unsigned_badly_signed_and_stale_webhooks_are_refused(client, secret):
    session = in_progress_session()
    body = event_body(session.room_name)
    good = signed_headers(secret, body)
    stale_ts = str(int(time.time()) - 600)
    attempts = [
        {"Content-Type": "application/json"},
        {**good, "X-Webhook-Signature": good["X-Webhook-Signature"][:-4] + "AAAA"},
        signed_headers(secret, body + b" "),  # signed for another body
        {**good, "X-Webhook-Timestamp": stale_ts},
        {**signed_headers(secret, body), "X-Webhook-Timestamp": stale_ts},
        # NaN passes every "older than" comparison; signed with it, it must still be no moment.
        {**good, "X-Webhook-Timestamp": "nan", "X-Webhook-Signature": sign_webhook(secret, "nan", body)},
    ]
    for headers in attempts:
        response = client.post("/webhooks/video", data=body, headers=headers)
        assert response.status_code == 400, headers
        assert response.json["error"]["code"] == "invalid_webhook"
    assert db.session.scalar(db.select(db.func.count(WebhookEvent.id)).where(WebhookEvent.provider == "daily")) == 0
    assert db.session.get(LiveSession, session.id).status == "in_progress"


def test_a_replayed_webhook_changes_nothing(client, secret):
    session = in_progress_session()
    body = event_body(session.room_name)
    first = client.post("/webhooks/video", data=body, headers=signed_headers(secret, body))
    assert first.status_code == 200 and first.json["duplicate"] is False
    assert db.session.get(LiveSession, session.id).status == "in_progress"  # leaving ends nothing
    second = client.post("/webhooks/video", data=body, headers=signed_headers(secret, body))
    assert second.status_code == 200 and second.json["duplicate"] is True
    assert db.session.get(LiveSession, session.id).status == "in_progress"
    assert db.session.scalar(db.select(db.func.count(WebhookEvent.id)).where(WebhookEvent.provider == "daily")) == 1


def recording_event(event_type: str, **payload) -> bytes:
    """A provider event about a recording, as whoever holds the webhook secret may write it."""
    envelope = {"version": "1.0.0", "type": event_type, "id": f"evt-{uuid.uuid4()}", "payload": payload}
    return json.dumps({**envelope, "event_ts": time.time()}).encode()


def post_signed(client, secret, body: bytes):
    return client.post("/webhooks/video", data=body, headers=signed_headers(secret, body))


def parts_of(session) -> list[tuple[str, str, int | None, str | None]]:
    rows = db.session.scalars(
        db.select(SessionRecording).where(SessionRecording.session_id == session.id).order_by(SessionRecording.id)
    )
    return [(r.provider_recording_id, r.status, r.duration_seconds, r.storage_key) for r in rows]


def test_a_signed_event_about_a_recording_the_provider_does_not_know_changes_nothing(client, login, secret, recorded):
    before = parts_of(recorded)
    notices = db.session.scalar(db.select(db.func.count(Notification.id)))
    forged = recording_event(
        "recording.ready-to-download",
        recording_id="invented-recording",
        room_name=recorded.room_name,
        duration=3600,
        s3_key="elsewhere/forged.mp4",
        status="finished",
    )
    response = post_signed(client, secret, forged)
    # Answered 200 (Daily stops sending to an endpoint that keeps failing); nothing is stored.
    assert response.status_code == 200 and response.json["ignored"] is True
    assert parts_of(recorded) == before
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == notices
    login(recorded.fan)
    page = client.get(f"/sessions/{recorded.id}/recording").get_data(as_text=True)
    assert page.count("<video") == 1 and "Part 1 of 2" not in page


def test_the_recording_its_room_and_its_facts_come_from_the_provider_not_the_event(client, sandbox, secret):
    recorded_session = session_at(timedelta(minutes=5), **CONSENTED)
    other_session = session_at(timedelta(minutes=5), **CONSENTED)
    hold_call(sandbox, recorded_session)  # recorded at the provider; its own events are not delivered
    calls.join(other_session.fan, other_session.id)
    real = sandbox.store.recordings(db.session.get(LiveSession, recorded_session.id).room_name)[0]
    misleading = recording_event(
        "recording.ready-to-download",
        recording_id=real["id"],
        room_name=db.session.get(LiveSession, other_session.id).room_name,
        duration=3600,
        s3_key="elsewhere/forged.mp4",
    )
    assert post_signed(client, secret, misleading).status_code == 200
    assert parts_of(other_session) == []
    assert parts_of(recorded_session) == [(real["id"], "ready", real["duration"], real["s3key"])]


def test_an_event_saying_ready_for_a_recording_still_in_progress_does_not_make_it_ready(client, sandbox, secret):
    session = session_at(timedelta(minutes=5), **CONSENTED)
    seen = {}

    def ready_claimed_during_the_call():
        room = db.session.get(LiveSession, session.id).room_name
        recording = sandbox.store.recordings(room)[0]
        early = recording_event("recording.ready-to-download", recording_id=recording["id"], room_name=room)
        seen["answer"] = post_signed(client, secret, early).status_code
        seen["parts"] = parts_of(session)

    hold_call(sandbox, session, between=ready_claimed_during_the_call)
    assert seen["answer"] == 200
    assert [(provider_id, status) for provider_id, status, *_ in seen["parts"]] == [
        (sandbox.store.recordings(db.session.get(LiveSession, session.id).room_name)[0]["id"], "in_progress")
    ]


def test_when_the_provider_cannot_be_asked_the_event_is_refused_for_a_retry(client, secret, recorded, monkeypatch):
    from kendama.integrations.video import ProviderUnreachable
    from kendama.integrations.video.daily import DailyVideo

    def unreachable(self, recording_id):
        raise ProviderUnreachable(f"GET /recordings/{recording_id}: timeout")

    monkeypatch.setattr(DailyVideo, "get_recording", unreachable)
    body = recording_event("recording.ready-to-download", recording_id="any", room_name=recorded.room_name)
    response = post_signed(client, secret, body)
    assert response.status_code == 503
    # Not recorded as seen, so the provider's retry is applied once the provider answers again.
    assert db.session.scalar(db.select(WebhookEvent.id).where(WebhookEvent.event_id == json.loads(body)["id"])) is None


def test_the_endpoint_check_is_answered_without_change(client):
    response = client.post("/webhooks/video", json={"test": "test"})
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count(WebhookEvent.id))) == 0


# --- Access ----------------------------------------------------------------------------------------


def test_participants_get_short_lived_links_and_every_access_is_logged(client, api_token, recorded):
    for user in (recorded.fan, recorded.player):
        response = client.get(f"/api/sessions/{recorded.id}/recording", headers=api_token(user))
        assert response.status_code == 200
        body = response.json
        assert body["status"] == "ready" and body["duration_seconds"] >= 1 and body["expires_at"].endswith("Z")

    captions = client.get(path_of(body["captions_url"]))
    assert captions.status_code == 200 and captions.mimetype == "text/vtt"
    assert captions.get_data(as_text=True).startswith("WEBVTT")

    media = client.get(path_of(body["download_url"]))
    assert media.status_code == 302 and "/_sandbox/video/files/recordings/" in media.location
    file = requests.get(media.location, timeout=10)
    assert file.status_code == 200 and file.content[:4] == bytes.fromhex("1a45dfa3")  # a real WebM file

    log = db.session.scalars(
        db.select(RecordingAccess).where(RecordingAccess.recording_id == recording_of(recorded).id)
    ).all()
    assert sorted((a.user_id, a.action) for a in log) == sorted(
        [(recorded.player_id, "captions"), (recorded.player_id, "download")]
    )


@pytest.mark.parametrize("who", ["stranger", "other_fan"])
def test_strangers_and_the_fan_of_another_session_see_nothing(client, api_token, login, recorded, who):
    outsider = FanFactory() if who == "stranger" else session_at(timedelta(days=2)).fan
    assert client.get(f"/api/sessions/{recorded.id}/recording", headers=api_token(outsider)).status_code == 404
    login(outsider)
    assert client.get(f"/sessions/{recorded.id}/recording").status_code == 404
    assert client.get(f"/sessions/{recorded.id}/join").status_code == 404


def test_signed_links_expire_and_cannot_be_tampered_with(app, client, api_token, recorded, monkeypatch):
    body = client.get(f"/api/sessions/{recorded.id}/recording", headers=api_token(recorded.fan)).json
    download, captions = path_of(body["download_url"]), path_of(body["captions_url"])
    recording_id = recording_of(recorded).id

    tampered = download[:-3] + ("A" if download[-3] != "A" else "B") + download[-2:]
    refused = [
        tampered,
        download.replace(f"/recordings/{recording_id}/", f"/recordings/{recording_id + 1}/"),  # another recording
        captions.replace("/captions.vtt", "/media"),  # a captions link does not open the video
        f"/recordings/{recording_id}/media",  # no signature at all
    ]
    for path in refused:
        response = client.get(path, headers={"Accept": "application/json"})
        assert (response.status_code, response.json["error"]["code"]) == (403, "link_invalid"), path
    monkeypatch.setitem(app.config, "SIGNED_URL_SECONDS", -1)  # every link is now older than allowed
    for path in (download, captions):
        response = client.get(path, headers={"Accept": "application/json"})
        assert (response.status_code, response.json["error"]["code"]) == (403, "link_expired")
    assert db.session.scalar(db.select(db.func.count(RecordingAccess.id))) == 0


# --- Pages -----------------------------------------------------------------------------------------


def test_the_recording_page_has_an_accessible_player_with_captions(client, login, recorded):
    login(recorded.fan)
    html = client.get(f"/sessions/{recorded.id}/recording").get_data(as_text=True)
    assert "<video controls" in html and '<track kind="captions" default' in html
    assert "Download the recording" in html
    assert "Make a share link" not in html  # sharing is the player's


def test_the_join_page_never_puts_a_token_in_the_page(client, login):
    session = session_at(timedelta(minutes=5))
    grant = calls.join(session.fan, session.id)  # the same person's token, as the page's POST would get it
    login(session.fan)
    response = client.get(f"/sessions/{session.id}/join")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'data-join-url="/api/sessions/{session.id}/join"' in html and 'data-provider="sandbox"' in html
    assert grant.token not in html and grant.token[:20] not in html
    assert response.headers["Cache-Control"] == "no-store"


def test_the_join_page_posts_for_a_token_with_the_csrf_header(client, login):
    from ..conftest import csrf_token_from

    session = session_at(timedelta(minutes=5))
    login(session.player)
    assert client.post(f"/api/sessions/{session.id}/join").status_code == 400  # no CSRF header
    response = client.post(f"/api/sessions/{session.id}/join", headers={"X-CSRFToken": csrf_token_from(client)})
    assert response.status_code == 200 and response.json["room_url"].endswith("/call/" + room_name(session.id, 0))


# --- Share links -----------------------------------------------------------------------------------


def test_the_player_shares_and_revokes_a_link(app, client, api_token, recorded):
    player = api_token(recorded.player)
    made = client.post(f"/api/sessions/{recorded.id}/recording/share", headers=player)
    assert made.status_code == 201
    share_path = path_of(made.json["share_url"])
    assert "token=" in share_path

    visitor = app.test_client()  # someone without an account, in their own browser
    page = visitor.get(share_path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<track kind="captions" default' in html
    media_path = html.split("<video", 1)[1].split('src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert visitor.get(media_path).status_code == 302
    access = db.session.scalars(db.select(RecordingAccess.action)).all()
    assert access == ["share_view"]

    assert client.delete(f"/api/sessions/{recorded.id}/recording/share", headers=player).json == {"revoked": 1}
    assert visitor.get(share_path).status_code == 404
    assert visitor.get(media_path, headers={"Accept": "application/json"}).status_code == 404


def test_only_the_player_shares_and_only_when_both_allowed(client, api_token, recorded):
    assert (
        client.post(f"/api/sessions/{recorded.id}/recording/share", headers=api_token(recorded.fan)).status_code == 403
    )
    recorded.fan_sharing_consent = False
    db.session.commit()
    refused = client.post(f"/api/sessions/{recorded.id}/recording/share", headers=api_token(recorded.player))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "sharing_not_allowed"


def test_withdrawing_sharing_revokes_live_links(app, client, api_token, recorded):
    made = client.post(f"/api/sessions/{recorded.id}/recording/share", headers=api_token(recorded.player))
    withdrawn = client.post(
        f"/api/sessions/{recorded.id}/consent",
        json={"recording": True, "sharing": False},
        headers=api_token(recorded.fan),
    )
    assert withdrawn.status_code == 200 and withdrawn.json["sharing"]["both"] is False
    assert app.test_client().get(path_of(made.json["share_url"])).status_code == 404


# --- Oversight -------------------------------------------------------------------------------------


def test_admins_see_every_recording_its_consent_and_access_log(client, api_token, login, recorded):
    body = client.get(f"/api/sessions/{recorded.id}/recording", headers=api_token(recorded.fan)).json
    client.get(path_of(body["captions_url"]))
    recording = recording_of(recorded)

    login(FanFactory())
    assert client.get("/admin/recordings").status_code == 404
    assert client.get(f"/admin/recordings/{recording.id}").status_code == 404

    login(AdminFactory())
    listing = client.get("/admin/recordings").get_data(as_text=True)
    assert f"/admin/recordings/{recording.id}" in listing and "Both allowed" in listing
    detail = client.get(f"/admin/recordings/{recording.id}").get_data(as_text=True)
    assert "Access log" in detail and "captions" in detail and recorded.fan.display_name in detail
    assert "Consent history" in detail
    # An admin may look at any session's recording too; that look is logged as well.
    assert client.get(f"/api/sessions/{recorded.id}/recording").status_code == 200
