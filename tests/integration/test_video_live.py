"""The embedded default over real HTTP: one server serves the app and the video sandbox; the adapter
calls the sandbox, the sandbox posts its signed webhooks back, and the recording plays."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests

from kendama.integrations.video.sandbox.captions import NO_SPEECH

from ..support.backends import per_backend
from ..support.factories import PASSWORD
from ..support.live_server import serve
from ..support.video_support import session_at

# A real server commits; the scratch database is dropped after.
pytestmark = [pytest.mark.committed, pytest.mark.both_databases]


def _live(request, backend: str):
    state = request.getfixturevalue("tmp_path_factory").mktemp("video-live") / "sandbox.sqlite3"
    # Over the network even though the app serves the sandbox itself (the embedded default skips the
    # socket for that; the browser test covers it), so the adapter talks real HTTP here.
    overrides = {
        "VIDEO_SANDBOX_DB": str(state),
        "VIDEO_SANDBOX_DELIVER_WEBHOOKS": True,
        "VIDEO_SANDBOX_TRANSPORT": "http",
    }
    with serve(overrides, backend) as server:
        yield server


live_postgresql, live_sqlite, live = per_backend("live", _live, scope="module")


def bearer(live, user) -> dict:
    response = requests.post(f"{live.url}/api/tokens", json={"email": user.email, "password": PASSWORD}, timeout=10)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_two_participants_meet_and_then_watch_the_recording_with_captions(live):
    with live.app_context():
        session = session_at(
            timedelta(minutes=5),
            fan_recording_consent=True,
            player_recording_consent=True,
        )
        session_id, fan, player = session.id, session.fan, session.player
        people = [(bearer(live, fan), fan.display_name), (bearer(live, player), player.display_name)]

    # Each participant's page asks for a pass, then the call screen joins with it.
    in_call = []
    for headers, _name in people:
        grant = requests.post(f"{live.url}/api/sessions/{session_id}/join", headers=headers, timeout=10)
        assert grant.status_code == 200, grant.text
        body = grant.json()
        assert body["recording"] is True and body["room_url"].startswith(f"{live.url}/_sandbox/video/call/")
        joined = requests.post(f"{body['room_url']}/join", json={"token": body["token"]}, timeout=10).json()
        in_call.append((body, joined))
    roster = requests.post(
        f"{in_call[0][0]['room_url']}/presence",
        json={"token": in_call[0][0]["token"], "participant_id": in_call[0][1]["participant_id"]},
        timeout=10,
    ).json()
    assert sorted(p["name"] for p in roster["participants"]) == sorted(name for _h, name in people)
    assert roster["recording"] is True
    for body, joined in in_call:
        requests.post(
            f"{body['room_url']}/leave",
            json={"token": body["token"], "participant_id": joined["participant_id"]},
            timeout=10,
        )

    # The sandbox posts meeting.ended and the recording/transcript webhooks by itself.
    deadline = time.monotonic() + 20
    recording = None
    while time.monotonic() < deadline:
        answer = requests.get(f"{live.url}/api/sessions/{session_id}/recording", headers=people[0][0], timeout=10)
        if answer.status_code == 200 and answer.json()["captions_url"]:
            recording = answer.json()
            break
        time.sleep(0.3)
    assert recording is not None, "the recording never became ready"
    assert recording["status"] == "ready"

    captions = requests.get(recording["captions_url"], timeout=10)
    # The call carried no sound (no browser in it): the captions say nothing was recognised.
    assert captions.status_code == 200 and captions.text.startswith("WEBVTT") and NO_SPEECH in captions.text
    video = requests.get(recording["download_url"], timeout=10)  # follows the redirect to a fresh provider link
    assert (
        video.status_code == 200
        and video.headers["Content-Type"] == "video/webm"
        and video.content[:4] == b"\x1a\x45\xdf\xa3"
    )

    # Everyone left before the end: the session goes on until its end (or until the player ends it).
    status = requests.get(f"{live.url}/api/sessions/{session_id}", headers=people[1][0], timeout=10).json()["status"]
    assert status == "in_progress"
