"""Two browsers, a fan and a player, meet in a session's room through the video sandbox, then both
watch the recording with its captions: the embedded default, end to end, keyboard and axe included.
Then the lifecycle: leaving and rejoining keeps the lesson on, and the player ends it for both."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from kendama.extensions import db
from kendama.models import LiveSession
from kendama.services.demo_data import DEMO_FAN_EMAIL, DEMO_PASSWORD

from ..support.factories import PASSWORD
from ..support.video_support import session_at
from .call_steps import join_call

pytestmark = [pytest.mark.browser, pytest.mark.committed]


@pytest.fixture(scope="module")
def video_app(live_app):
    """The shared live server: its video sandbox posts its webhooks itself, as in the embedded default."""
    return live_app


def signed_in(browser, url: str, email: str, password: str = PASSWORD):
    page = browser.new_context(base_url=url).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    expect(page.locator("h1")).to_contain_text("Hello")
    return page


def test_fan_and_player_meet_and_watch_the_recording_with_captions(browser, video_app, a11y):
    with video_app.app_context():
        session = session_at(timedelta(minutes=5), fan_recording_consent=True, player_recording_consent=True)
        session_id, fan, player = session.id, session.fan, session.player
    fan_page = signed_in(browser, video_app.url, fan.email)
    player_page = signed_in(browser, video_app.url, player.email)

    # The fan comes from the dashboard, where Join shows while the room is open.
    join = fan_page.locator(f"li:has(#session-{session_id}-title)").get_by_role(
        "link", name=re.compile("^Join the call")
    )
    expect(join).to_be_visible()
    a11y.check(fan_page, "dashboard-join")
    join.click()
    expect(fan_page.locator("h1")).to_have_text(f"Session with {player.display_name}")
    a11y.check(fan_page, "join")
    player_page.goto(f"/sessions/{session_id}/join")
    for page in (fan_page, player_page):
        expect(page.get_by_text("Recorded session")).to_be_visible()
        join_call(page, press_enter=True)
    a11y.check(player_page, "in-call")

    call = player_page.frame_locator("#call-stage iframe")
    expect(call.locator("#call-people li")).to_have_count(2)
    expect(call.locator("#call-people")).to_contain_text(fan.display_name)
    expect(player_page.locator("#recording-live")).to_be_visible()  # the recording indicator

    for page in (fan_page, player_page):
        page.frame_locator("#call-stage iframe").get_by_role("button", name="Leave the call").click()
        expect(page.locator("#call-status")).to_contain_text("You left the call")
        expect(page.get_by_role("button", name="Join the call")).to_be_focused()  # the keyboard is not lost
        # Out of the call, nothing says it is still recording or who is in it.
        left = page.frame_locator("#call-stage iframe")
        expect(left.locator("#call-people li")).to_have_count(0)
        expect(left.locator("#call-recording")).to_be_hidden()
        expect(page.locator("#recording-live")).to_be_hidden()

    # The sandbox ends the meeting and posts the recording's webhooks; the dashboard lists the
    # recording once they have arrived.
    for page in (fan_page, player_page):
        watch = page.locator("#recordings").get_by_role("link", name=re.compile("^Watch"))
        for _ in range(40):
            page.goto("/dashboard/")
            if watch.count():
                break
            page.wait_for_timeout(250)
        a11y.check(page, f"dashboard-recording-{'fan' if page is fan_page else 'player'}")
        watch.click()
        video = page.locator("video")
        expect(video).to_have_count(1)
        # The captions are recognised after the recording is ready: on a busy machine, a while after.
        captions = page.locator('track[kind="captions"]')
        for _ in range(60):
            if captions.count():
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(captions).to_have_attribute("default", re.compile(".*"))
        page.wait_for_function(
            "() => { const v = document.querySelector('video');"
            " return v.readyState >= 1 && v.textTracks.length && v.textTracks[0].cues && v.textTracks[0].cues.length > 0; }",
            timeout=10_000,
        )
        # Chromium's fake microphone beeps; whatever the captions make of it lies inside the recording.
        last_end, duration = page.evaluate(
            "() => { const v = document.querySelector('video'); const c = v.textTracks[0].cues;"
            " return [c[c.length - 1].endTime, v.duration]; }"
        )
        assert 0 < last_end <= duration + 0.5
    a11y.check(fan_page, "recording")


def test_leaving_and_rejoining_keeps_the_lesson_on_until_the_player_ends_it(browser, video_app, a11y):
    with video_app.app_context():
        session = session_at(timedelta(minutes=-2), fan_recording_consent=True, player_recording_consent=True)
        session_id, fan, player = session.id, session.fan, session.player
    fan_page = signed_in(browser, video_app.url, fan.email)
    player_page = signed_in(browser, video_app.url, player.email)
    for page in (player_page, fan_page):  # the player's page loads before anyone is in the call
        page.goto(f"/sessions/{session_id}/join")
        join_call(page)
    expect(fan_page.get_by_role("button", name="End the lesson")).to_have_count(0)  # the player's alone

    # The fan drops out (a reload) and comes back: the same lesson goes on.
    fan_page.reload()
    expect(fan_page.locator("#call-status")).to_have_text("")
    join_call(fan_page)
    with video_app.app_context():
        assert booking_status(session_id) == "in_progress"

    end = player_page.get_by_role("button", name="End the lesson")
    expect(end).to_be_visible()  # shown once the player is in the call, after the start
    a11y.check(player_page, "in-call-player")
    end.focus()
    player_page.keyboard.press("Enter")
    expect(player_page.get_by_text("The lesson has ended.")).to_be_visible()
    expect(player_page.get_by_role("button", name="Join the call")).to_have_count(0)

    # The fan is put out of the call and cannot rejoin.
    expect(fan_page.locator("#call-status")).to_have_text("The call has ended.", timeout=10_000)
    expect(fan_page.get_by_role("button", name="Join the call")).to_be_hidden()
    expect(fan_page.frame_locator("#call-stage iframe").locator("#call-people li")).to_have_count(0)
    with video_app.app_context():
        assert booking_status(session_id) == "completed"
    fan_page.reload()
    expect(fan_page.get_by_text("This session is over")).to_be_visible()
    expect(fan_page.get_by_role("button", name="Join the call")).to_have_count(0)


def booking_status(session_id: int) -> str:
    db.session.remove()  # read what the server committed, not this thread's cached copy
    return db.session.get(LiveSession, session_id).status


@pytest.fixture
def test_calls_allowed(video_app):
    """As in development (DevelopmentConfig), for this test only."""
    video_app.app.config["TEST_CALLS_ALLOWED"] = True
    yield
    video_app.app.config["TEST_CALLS_ALLOWED"] = False


def test_a_demo_player_starts_a_test_call_and_the_demo_fan_joins_it(browser, video_app, a11y, test_calls_allowed):
    player_page = signed_in(browser, video_app.url, "ava@example.com", DEMO_PASSWORD)
    a11y.check(player_page, "dashboard-test-call")
    player_page.get_by_role("button", name="Start a test call now").click()
    expect(player_page.locator("h1")).to_have_text("Session with Finn Fan")
    join_call(player_page)

    fan_page = signed_in(browser, video_app.url, DEMO_FAN_EMAIL, DEMO_PASSWORD)  # its own context: a private window
    fan_page.locator("#upcoming").get_by_role("link", name=re.compile("^Join the call")).first.click()
    join_call(fan_page)
    expect(player_page.frame_locator("#call-stage iframe").locator("#call-people li")).to_have_count(2)
    player_page.get_by_role("button", name="End the lesson").click()
    expect(player_page.get_by_text("The lesson has ended.")).to_be_visible()
    expect(fan_page.locator("#call-status")).to_have_text("The call has ended.", timeout=10_000)
