"""The sandbox as a signalling server: offers, answers and ICE candidates pass between the people
of one meeting only, with their meeting tokens; the recorder is a hidden participant every browser
can reach while the call is recorded; a deleted recording leaves no footage behind."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kendama.extensions import db
from kendama.integrations.video.sandbox import recorders
from kendama.models import LiveSession
from kendama.services.video import calls

from ..support.video_support import session_at

pytestmark = [pytest.mark.both_databases, pytest.mark.usefixtures("use_sandbox")]

OFFER = {"type": "offer", "sdp": "v=0\r\n"}


def in_call(sandbox, session):
    """Fan and player join the session's room: (grant, participant id) of each."""
    people = []
    for user in (session.fan, session.player):
        grant = calls.join(user, session.id)
        joined = sandbox.call(grant.room_url, "join", {"token": grant.token})
        assert joined.status_code == 200, joined.text
        people.append((grant, joined.json()["participant_id"]))
    return people


def signal(sandbox, sender, to: str, kind: str = "offer", data=OFFER, token: str | None = None):
    grant, participant = sender
    body = {"token": token or grant.token, "participant_id": participant, "to": to, "kind": kind, "data": data}
    return sandbox.call(grant.room_url, "signal", body)


def presence(sandbox, person, after: int = 0):
    grant, participant = person
    return sandbox.call(
        grant.room_url, "presence", {"token": grant.token, "participant_id": participant, "after": after}
    )


def test_a_signal_reaches_the_other_person_once_and_in_order(sandbox):
    fan, player = in_call(sandbox, session_at(timedelta(minutes=5)))
    assert signal(sandbox, fan, player[1]).status_code == 202
    assert (
        signal(
            sandbox, fan, player[1], "candidate", {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}
        ).status_code
        == 202
    )

    state = presence(sandbox, player).json()
    assert [(m["from"], m["kind"]) for m in state["signals"]] == [(fan[1], "offer"), (fan[1], "candidate")]
    assert state["signals"][0]["data"] == OFFER
    assert {p["id"] for p in state["participants"]} == {fan[1], player[1]}
    assert presence(sandbox, fan).json()["signals"] == []  # nothing was sent to the sender

    last = state["signals"][-1]["seq"]
    assert presence(sandbox, player, after=last).json()["signals"] == []  # read once: acknowledged, dropped


def test_signals_are_refused_to_strangers_and_to_people_outside_the_meeting(sandbox):
    session, other = session_at(timedelta(minutes=5)), session_at(timedelta(minutes=5))
    fan, player = in_call(sandbox, session)
    stranger, _ = in_call(sandbox, other)

    # Another room's token does not open this room's signalling; a made-up token neither.
    assert signal(sandbox, fan, player[1], token=stranger[0].token).status_code == 403
    assert signal(sandbox, fan, player[1], token="forged").status_code == 403
    # Someone of another meeting is not reachable from here, nor is anyone by a made-up id.
    assert signal(sandbox, fan, stranger[1]).status_code == 404
    assert signal(sandbox, fan, "nobody").status_code == 404
    assert signal(sandbox, fan, fan[1]).status_code == 404  # nor oneself
    # Only the call's own kinds of message, of a bounded size, in the documented shape.
    assert signal(sandbox, fan, player[1], kind="eval").status_code == 400
    assert signal(sandbox, fan, player[1], data={"sdp": "x" * 40_000}).status_code == 400
    grant, participant = fan
    assert (
        sandbox.call(grant.room_url, "signal", {"token": grant.token, "participant_id": participant}).status_code == 400
    )
    assert presence(sandbox, player).json()["signals"] == []  # none of that was passed on

    # Someone who left sends nothing more.
    sandbox.call(grant.room_url, "leave", {"token": grant.token, "participant_id": participant})
    assert signal(sandbox, fan, player[1]).status_code == 403


def test_presence_refuses_a_signal_number_that_is_not_one(sandbox):
    fan, _player = in_call(sandbox, session_at(timedelta(minutes=5)))
    grant, participant = fan
    for after in (-1, "3", 1.5, True):
        answer = sandbox.call(
            grant.room_url, "presence", {"token": grant.token, "participant_id": participant, "after": after}
        )
        assert answer.status_code == 400, after


def test_a_recorded_call_has_a_hidden_recorder_that_each_browser_can_reach(sandbox):
    session = session_at(timedelta(minutes=5), fan_recording_consent=True, player_recording_consent=True)
    fan, player = in_call(sandbox, session)
    state = presence(sandbox, fan).json()
    assert state["recording"] is True and state["recorder"]
    assert len(state["participants"]) == 2  # the recorder is not one of the people shown
    assert signal(sandbox, fan, state["recorder"], "bye", {}).status_code == 202

    for grant, participant in (fan, player):
        sandbox.call(grant.room_url, "leave", {"token": grant.token, "participant_id": participant})
    recorders.wait_idle()
    room = db.session.get(LiveSession, session.id).room_name
    [recording] = sandbox.store.recordings(room)
    assert recording["status"] == "finished"
    media = sandbox.store.media_file(recording["id"])
    assert media.exists()

    # Deleting the recording at the provider deletes its file.
    assert sandbox.api("DELETE", f"/recordings/{recording['id']}").status_code == 200
    assert not media.exists()


def test_an_unrecorded_call_has_no_recorder(sandbox):
    fan, _player = in_call(sandbox, session_at(timedelta(minutes=5)))
    state = presence(sandbox, fan).json()
    assert state["recording"] is False and state["recorder"] is None


def test_a_recording_whose_recorder_died_is_completed_from_its_file(sandbox):
    session = session_at(timedelta(minutes=5), fan_recording_consent=True, player_recording_consent=True)
    people = in_call(sandbox, session)
    [recording] = sandbox.store.recordings(db.session.get(LiveSession, session.id).room_name)
    # Its process dies: the recorder stops where it is and nobody beats its heartbeat any more.
    run = recorders.run_for(recording["id"])
    run.stop()
    run._thread.join(5)
    with sandbox.store.write() as conn:
        conn.execute("UPDATE recorders SET owner = 'a-process-that-died', heartbeat = 0")

    for grant, participant in people:  # the meeting ends in another process
        sandbox.call(grant.room_url, "leave", {"token": grant.token, "participant_id": participant})
    [completed] = sandbox.store.recordings(db.session.get(LiveSession, session.id).room_name)
    assert completed["status"] == "finished" and completed["duration"] >= 1
    ready = [e for e in sandbox.store.pending_webhooks() if e.type == "recording.ready-to-download"]
    assert [json.loads(e.body)["payload"]["recording_id"] for e in ready][-1:] == [recording["id"]]
