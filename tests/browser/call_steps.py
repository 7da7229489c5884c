"""Steps of a call in the sandbox's call screen, shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import expect

CALL_FRAME = "#call-stage iframe"


def join_call(page, *, camera: bool = True, press_enter: bool = False) -> None:
    """Join from the join page: its Join button, then the call screen's device check."""
    page.wait_for_load_state("load")  # the button is in the HTML before its script is (a click then does nothing)
    join = page.get_by_role("button", name="Join the call")
    if press_enter:
        join.focus()
        page.keyboard.press("Enter")
    else:
        join.click()
    frame = page.frame_locator(CALL_FRAME)
    choice = frame.get_by_role("button", name="Join now" if camera else "Join without camera")
    expect(choice).to_be_visible(timeout=15_000)
    if press_enter:
        expect(choice).to_be_focused()  # the check put the keyboard on its first choice
        page.keyboard.press("Enter")
    else:
        choice.click()
    expect(page.locator("#call-status")).to_have_text("You are in the call.", timeout=15_000)


def remote_video_plays(page) -> dict:
    """The remote <video> in the call frame: its size, whether its time advances, its audio track."""
    frame = page.frame_locator(CALL_FRAME)
    video = frame.locator("#remote-video")
    expect(video).to_have_js_property("readyState", 4, timeout=20_000)
    before = video.evaluate("v => v.currentTime")
    page.wait_for_timeout(1000)
    return video.evaluate(
        """(v, before) => {
            const audio = v.srcObject ? v.srcObject.getAudioTracks() : [];
            return {width: v.videoWidth, height: v.videoHeight, advanced: v.currentTime - before, paused: v.paused,
                    audio: audio.map(t => ({state: t.readyState, enabled: t.enabled, muted: t.muted}))};
        }""",
        before,
    )
