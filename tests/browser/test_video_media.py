"""A real call on the embedded default: two browsers see and hear each other over WebRTC, the
sandbox's recorder writes the call to one file, and its captions hold what was said.

Each person has a browser of their own: the fan's fake microphone speaks a known English sentence
(espeak-ng), the player's is silent, so the recording's sound is one voice the recogniser can hear.
Then the device check's other paths: a camera refused and no camera at all."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import av
import pytest
from playwright.sync_api import expect

from kendama.extensions import db
from kendama.integrations.video.sandbox import recording_media
from kendama.integrations.video.sandbox.store import Store
from kendama.models import SessionRecording

from ..support.live_server import serve
from ..support.speech import ESPEAK, silent_wav, spoken_wav
from ..support.video_support import session_at
from .call_steps import CALL_FRAME, join_call, remote_video_plays
from .conftest import CHROMIUM, CHROMIUM_ARGS, embedded_settings
from .test_video_call import signed_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.committed,
    pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (scripts/services.sh installs it)"),
]

SENTENCE = "can you hear me now keep your knees bent and catch the ball on the big cup"
CALL_SECONDS = 20  # long enough for the looping sentence to be said four times or more
CONSENTED = {"fan_recording_consent": True, "player_recording_consent": True}


@pytest.fixture(scope="module")
def voices(tmp_path_factory):
    folder = tmp_path_factory.mktemp("voices")
    return {
        "fan": spoken_wav(folder / "fan.wav", SENTENCE, voice="en-us+f2", lead_silence=0.5, tail_silence=1.5),
        "player": silent_wav(folder / "player.wav", 3.0),
    }


@pytest.fixture(scope="module")
def own_browsers(playwright, voices):
    """A browser each, each with its own fake microphone."""
    launched = {
        who: playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={wav}"]
        )
        for who, wav in voices.items()
    }
    yield launched
    for browser in launched.values():
        browser.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def media_app(request, live_app, tmp_path_factory):
    """The call on both databases: the browser suite's embedded-default server, and one on PostgreSQL."""
    if request.param == "sqlite":
        yield live_app
        return
    with serve(embedded_settings(tmp_path_factory.mktemp("live-server-pg")), backend="postgresql") as server:
        yield server


def wait_for_recording(app, session_id: int, timeout: float = 60) -> SessionRecording:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            found = db.session.scalars(
                db.select(SessionRecording).where(SessionRecording.session_id == session_id)
            ).first()
            if found is not None and found.status == "ready" and found.captions_vtt:
                db.session.expunge(found)
                return found
        time.sleep(0.5)
    raise AssertionError("the recording and its captions never arrived")


@pytest.mark.solo
def test_fan_and_player_see_and_hear_each_other_and_the_recording_has_their_words(media_app, own_browsers, a11y):
    with media_app.app_context():
        session = session_at(timedelta(minutes=5), **CONSENTED)
        session_id, fan, player = session.id, session.fan, session.player
    fan_page = signed_in(own_browsers["fan"], media_app.url, fan.email)
    player_page = signed_in(own_browsers["player"], media_app.url, player.email)
    for page in (player_page, fan_page):
        page.goto(f"/sessions/{session_id}/join")
    join_call(player_page)
    started = time.monotonic()
    join_call(fan_page, press_enter=True)  # the keyboard alone gets the fan in

    for page, other in ((fan_page, player), (player_page, fan)):
        frame = page.frame_locator(CALL_FRAME)
        expect(frame.locator("#call-connection")).to_have_text("Connected", timeout=20_000)
        expect(frame.locator("#remote-name")).to_contain_text(other.display_name)
        expect(frame.locator("#call-recording")).to_be_visible()
        seen = remote_video_plays(page)
        assert seen["width"] > 0 and seen["height"] > 0 and seen["advanced"] > 0.5 and not seen["paused"], seen
        assert [track["state"] for track in seen["audio"]] == ["live"], seen
    a11y.check(player_page, "in-call-media")

    # The player mutes and unmutes: the fan's screen shows it.
    player_frame = player_page.frame_locator(CALL_FRAME)
    player_frame.get_by_role("button", name="Mute microphone").click()
    expect(fan_page.frame_locator(CALL_FRAME).locator("#remote-name")).to_contain_text("(muted)")
    player_frame.get_by_role("button", name="Unmute microphone").click()
    expect(fan_page.frame_locator(CALL_FRAME).locator("#remote-name")).not_to_contain_text("(muted)")

    player_page.wait_for_timeout(max(0, CALL_SECONDS - (time.monotonic() - started)) * 1000)
    for page in (fan_page, player_page):
        page.frame_locator(CALL_FRAME).get_by_role("button", name="Leave the call").click()
        expect(page.locator("#call-status")).to_contain_text("You left the call")
    call_seconds = time.monotonic() - started

    recording = wait_for_recording(media_app, session_id)
    media = Store(Path(media_app.app.config["VIDEO_SANDBOX_DB"])).media_file(recording.provider_recording_id)
    with av.open(str(media)) as container:
        kinds = {stream.type for stream in container.streams}
        decoded = sum(1 for _frame in container.decode(video=0))
    seconds = recording_media.duration_seconds(media)
    assert kinds == {"audio", "video"} and decoded > 0
    assert seconds == pytest.approx(call_seconds, rel=0.10), (seconds, call_seconds)
    assert recording.duration_seconds == round(seconds)

    spoken = set(SENTENCE.split())
    heard = set(re.findall(r"[a-z']+", _cue_text(recording.captions_vtt).lower()))
    print(f"\ncaptions heard {len(spoken & heard)} of {len(spoken)} words: {sorted(spoken & heard)}")
    assert len(spoken & heard) >= 3, recording.captions_vtt

    # The fan watches it with the captions.
    fan_page.goto(f"/sessions/{session_id}/recording")
    fan_page.wait_for_function(
        "() => { const v = document.querySelector('video');"
        " return v.readyState >= 1 && v.textTracks.length && v.textTracks[0].cues && v.textTracks[0].cues.length > 0; }",
        timeout=15_000,
    )
    assert fan_page.evaluate("() => Math.round(document.querySelector('video').duration)") in (
        round(seconds) - 1,
        round(seconds),
        round(seconds) + 1,
    )
    a11y.check(fan_page, "recording-with-captions")


def _cue_text(vtt: str) -> str:
    return " ".join(line for line in vtt.splitlines()[1:] if line and "-->" not in line and not line.strip().isdigit())


# --- the device check's other paths --------------------------------------------------------------

REFUSE_ALL = """(() => {
  if (!navigator.mediaDevices) return;
  navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
})()"""
NO_CAMERA = """(() => {
  if (!navigator.mediaDevices) return;
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (wanted) => wanted && wanted.video
    ? Promise.reject(new DOMException("Requested device not found", "NotFoundError")) : real(wanted);
})()"""


def fan_and_player_in_a_session(browser, live_app, fan_devices: str):
    """The fan's browser answers getUserMedia as `fan_devices` says; the player's has a camera."""
    with live_app.app_context():
        session = session_at(timedelta(minutes=5))
        session_id, fan, player = session.id, session.fan, session.player
    fan_page = signed_in(browser, live_app.url, fan.email)
    fan_page.context.add_init_script(fan_devices)  # every frame of the fan's browser, the call's too
    player_page = signed_in(browser, live_app.url, player.email)
    for page in (fan_page, player_page):
        page.goto(f"/sessions/{session_id}/join")
    return fan_page, player_page, fan


def test_a_refused_camera_is_explained_and_the_fan_joins_without_it(browser, live_app, a11y):
    fan_page, player_page, fan = fan_and_player_in_a_session(browser, live_app, REFUSE_ALL)
    join_call(player_page)
    fan_page.get_by_role("button", name="Join the call").click()
    check = fan_page.frame_locator(CALL_FRAME)
    expect(check.locator("#check-message")).to_contain_text("did not allow the camera and microphone")
    expect(check.get_by_role("button", name="Try again")).to_be_visible()
    expect(check.get_by_role("button", name="Join now")).to_be_hidden()
    join_without = check.get_by_role("button", name="Join without camera or microphone")
    expect(join_without).to_be_focused()
    a11y.check(fan_page, "camera-refused")
    fan_page.keyboard.press("Enter")
    expect(fan_page.locator("#call-status")).to_have_text("You are in the call.")
    expect(check.locator("#call-status")).to_have_text("You are in the call. Others cannot see or hear you.")

    seen = remote_video_plays(fan_page)  # the fan still sees and hears the player
    assert seen["width"] > 0 and seen["advanced"] > 0.5 and [t["state"] for t in seen["audio"]] == ["live"], seen
    other_side = player_page.frame_locator(CALL_FRAME)
    expect(other_side.locator("#call-connection")).to_have_text("Connected", timeout=20_000)
    expect(other_side.locator("#remote-placeholder")).to_have_text(f"{fan.display_name}'s camera is off")


def test_without_a_camera_the_fan_joins_with_the_microphone_only(browser, live_app, a11y):
    fan_page, player_page, fan = fan_and_player_in_a_session(browser, live_app, NO_CAMERA)
    fan_page.get_by_role("button", name="Join the call").click()
    check = fan_page.frame_locator(CALL_FRAME)
    expect(check.locator("#check-message")).to_have_text("No camera was found. You can join with your microphone only.")
    a11y.check(fan_page, "no-camera")
    check.get_by_role("button", name="Join without camera").click()
    expect(fan_page.locator("#call-status")).to_have_text("You are in the call.")
    expect(check.get_by_role("button", name="Mute microphone")).to_be_visible()
    expect(check.get_by_role("button", name="Turn camera off")).to_be_hidden()
    join_call(player_page)

    other_side = player_page.frame_locator(CALL_FRAME)
    expect(other_side.locator("#call-connection")).to_have_text("Connected", timeout=20_000)
    expect(other_side.locator("#remote-placeholder")).to_have_text(f"{fan.display_name}'s camera is off")
    heard = other_side.locator("#remote-video").evaluate(
        "v => v.srcObject ? v.srcObject.getAudioTracks().map(t => t.readyState) : []"
    )
    assert heard == ["live"]  # the player hears the fan
