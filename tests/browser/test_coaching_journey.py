"""A lesson about tricks, end to end on the embedded default: the fan books with two goal tricks
found through the searching combobox and uploads a practice clip; the player sees both, holds the
call and drops a marker, ends the lesson, writes two notes on the recording, publishes them and
marks progress; the fan gets the email, jumps to each note in the video and reads the trick's
history on the progress page. Keyboard and axe along the way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import LiveSession, User, utcnow

from ..support.factories import PASSWORD, FanFactory, PlayerFactory
from ..support.videos import make_video
from .call_steps import join_call
from .test_journeys import sign_in
from .test_video_call import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.committed]

PLAYER = "ava@example.com"  # demo: free lessons, records by default (for the pickers' tests)


def pick_goal(page, number: int, typed: str, expected: str) -> None:
    """Type into goal picker `number` by keyboard and take the highlighted suggestion with Enter."""
    box = page.get_by_role("combobox", name=f"Goal trick {number}")
    box.focus()
    page.keyboard.type(typed)
    expect(page.get_by_role("option", name=expected)).to_be_visible()
    page.keyboard.press("Enter")
    expect(box).to_have_value(expected)


def start_now(session_id: int) -> None:
    """Move the booked session so it began a minute ago (the call and marking need a started lesson)."""
    session = db.session.get(LiveSession, session_id)
    length = session.ends_at - session.starts_at
    start = (utcnow() - timedelta(minutes=1)).replace(microsecond=0)
    session.starts_at, session.ends_at, session.blocked_until = start, start + length, start + length
    db.session.commit()


def test_goals_clip_call_notes_and_progress(browser, live_app, a11y, tmp_path, unlist_afterwards):
    # A player of its own: the lesson is moved to now, which would make a demo player busy for
    # the other browser tests on this server.
    with live_app.app_context():
        fan = FanFactory(display_name="Goal Getter")
        coach = PlayerFactory(display_name="Coach Kai")
        coach.profile.recording_default = True
        db.session.commit()
        player_id, fan_email, coach_email = coach.id, fan.email, coach.email
    unlist_afterwards(player_id)
    fan_page = signed_in(browser, live_app.url, fan_email, PASSWORD)

    # Booking: two goals through the combobox, one found by its other name, words that name no
    # trick refused at the box.
    fan_page.goto(f"/players/{player_id}/book")
    fan_page.locator('input[name="start"]').first.check()
    pick_goal(fan_page, 1, "lunar", "Lunar (level 5)")
    pick_goal(fan_page, 2, "ozara", "Big Cup (level 1)")  # Big Cup's other name
    third = fan_page.get_by_role("combobox", name="Goal trick 3")
    third.focus()
    fan_page.keyboard.type("no such trick")
    a11y.check(fan_page, "booking-goal-search")
    fan_page.get_by_role("button", name="Book this time").click()
    expect(third).to_be_focused()
    expect(third).to_have_attribute("aria-invalid", "true")
    expect(fan_page.get_by_text("Choose a trick from the list, or clear the box.")).to_be_visible()
    third.fill("")
    fan_page.get_by_label("What do you want to get better at? (optional)").fill("A cleaner lunar catch.")
    fan_page.get_by_label(re.compile("I agree that this session may be recorded")).check()
    fan_page.get_by_role("button", name="Book this time").click()
    expect(fan_page.locator("h1")).to_contain_text("booked", ignore_case=True)
    session_id = int(re.search(r"/sessions/(\d+)/", fan_page.url).group(1))
    # The cleared third box sent no goal (an empty box once chose the first trick on blur).
    expect(fan_page.locator("dt:text-is('Goal tricks') + dd")).to_have_text("Lunar, Big Cup")

    # A practice clip before the start, with the upload's progress shown.
    fan_page.goto(f"/sessions/{session_id}/join")
    clip = make_video(tmp_path / "lunar-try.mp4", codec="h264", seconds=2)
    fan_page.get_by_label(re.compile("^A clip of the trick")).set_input_files(clip)
    fan_page.get_by_role("button", name="Upload the clip").click()
    expect(fan_page.get_by_text(re.compile(r"^Clip 1, 2 seconds"))).to_be_visible(timeout=15_000)
    a11y.check(fan_page, "session-fan-clip")

    # The player sees the goals, the note and the clip on the dashboard and the session page.
    player_page = signed_in(browser, live_app.url, coach_email, PASSWORD)
    row = player_page.locator(f"li:has(#session-{session_id}-title)")
    expect(row).to_contain_text("Lunar")
    expect(row).to_contain_text("Big Cup")
    player_page.goto(f"/sessions/{session_id}/join")
    goals = player_page.locator("section", has=player_page.get_by_role("heading", name="Lesson goals"))
    expect(goals).to_contain_text("Lunar (level 5)")
    expect(goals).to_contain_text("A cleaner lunar catch.")
    clip_video = player_page.locator(".practice-clip video")
    expect(clip_video).to_have_js_property("readyState", 4, timeout=10_000)
    assert 1.5 < clip_video.evaluate("v => v.duration") < 2.5

    # The call: both join, the player drops a marker, then ends the lesson.
    with live_app.app_context():
        start_now(session_id)
    for page in (player_page, fan_page):
        page.goto(f"/sessions/{session_id}/join")
        join_call(page)
    fan_page.wait_for_timeout(3000)  # a few seconds of lesson to note
    player_page.get_by_role("button", name="Drop a note marker now").click()
    expect(player_page.locator("#call-status")).to_contain_text("marker", ignore_case=True)
    fan_page.wait_for_timeout(2000)
    player_page.get_by_role("button", name="End the lesson").click()
    expect(player_page.get_by_text("The lesson has ended.")).to_be_visible()

    # The recording page, once the sandbox's webhooks have come: two notes, then publish.
    video = player_page.locator("video.recording-video")
    for _ in range(60):
        player_page.goto(f"/sessions/{session_id}/recording")
        if video.count():
            break
        player_page.wait_for_timeout(500)
    expect(video).to_have_js_property("readyState", 4, timeout=15_000)
    notes = player_page.locator(".coach-notes")
    expect(notes.get_by_role("button", name=re.compile(r"^Play from "))).to_have_count(1)  # the marker
    for at, trick, text in (
        ("00:01", "Lunar", "Bend the knees as the ball drops."),
        ("00:02", "Big Cup", "Eyes on the cup."),
    ):
        player_page.get_by_label("At (minutes:seconds)").fill(at)
        player_page.get_by_label("Trick (optional)").select_option(label=trick)
        player_page.get_by_label("Note", exact=True).fill(text)
        player_page.get_by_role("button", name="Save the note").click()
        expect(notes).to_contain_text(text)
    a11y.check(player_page, "recording-player-notes")
    player_page.get_by_role("button", name=re.compile("^Publish the notes")).click()
    expect(player_page.locator(".flashes")).to_contain_text("3 notes published; the fan gets an email.")

    # Progress on the session page.
    player_page.goto(f"/sessions/{session_id}/join")
    player_page.get_by_role("group", name="Lunar").get_by_label("Landed").check()
    player_page.get_by_label("A line for Lunar (optional)").fill("Three in a row.")
    player_page.get_by_role("group", name="Big Cup").get_by_label("Getting closer").check()
    player_page.get_by_role("button", name="Save progress").click()
    expect(player_page.locator(".flashes")).to_contain_text("Progress saved.")
    expect(player_page.get_by_role("group", name="Lunar").get_by_label("Landed")).to_be_checked()

    # The fan: the email, each note seeks the video, the chapters track, the progress page.
    fan_page.goto("/dev/mail")
    expect(fan_page.locator("tr", has_text=fan_email).filter(has_text="notes")).to_have_count(1)
    fan_page.goto(f"/sessions/{session_id}/recording")
    fan_video = fan_page.locator("video.recording-video")
    expect(fan_video).to_have_js_property("readyState", 4, timeout=15_000)
    for label, second in (("Play from 00:01", 1), ("Play from 00:02", 2)):
        button = fan_page.get_by_role("button", name=label)
        button.focus()
        fan_page.keyboard.press("Enter")
        fan_page.wait_for_function(
            "s => { const v = document.querySelector('video.recording-video'); return v.currentTime >= s; }",
            arg=second,
            timeout=5_000,
        )
    expect(fan_page.get_by_text("Eyes on the cup.")).to_be_visible()
    expect(fan_page.locator('track[kind="chapters"]')).to_have_count(1)
    a11y.check(fan_page, "recording-fan-notes")

    fan_page.goto("/progress")
    lunar = fan_page.locator("section", has=fan_page.get_by_role("heading", name=re.compile("^Lunar")))
    expect(lunar.locator("svg[role='img']")).to_have_count(1)
    expect(lunar.get_by_role("table")).to_contain_text("Landed")
    expect(lunar.get_by_role("table")).to_contain_text("Three in a row.")
    expect(fan_page.get_by_role("heading", name=re.compile("^Try next"))).to_be_visible()
    a11y.check(fan_page, "progress")


def test_the_goal_pickers_are_plain_selects_without_javascript(browser, live_app):
    with live_app.app_context():
        player_id = db.session.scalar(select(User.id).where(User.email == PLAYER))
    context = browser.new_context(base_url=live_app.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "fan@example.com")
    page.goto(f"/players/{player_id}/book")
    pickers = page.locator("select[data-trick-picker]")
    expect(pickers).to_have_count(3)
    expect(page.get_by_role("combobox", name="Goal trick 1")).to_have_js_property("tagName", "SELECT")
    page.get_by_label("Goal trick 1").select_option(label="Lunar (level 5)")
    expect(page.get_by_label("Goal trick 1")).to_have_value(re.compile(r"^\d+$"))
    context.close()


def test_a_chosen_goal_survives_picking_another_day(browser, live_app):
    with live_app.app_context():
        player_id = db.session.scalar(select(User.id).where(User.email == PLAYER))
    page = browser.new_context(base_url=live_app.url).new_page()
    sign_in(page, "fan@example.com")
    page.goto(f"/players/{player_id}/book")
    pick_goal(page, 1, "hikoki", "Airplane (level 3)")
    legend = page.locator("#booking-slots legend").first
    first_day = legend.inner_text()
    other_id = page.locator('input[name="day"]:not(:checked)').first.get_attribute("id")
    other_day = page.locator(f"#{other_id}")
    other_day.focus()
    page.keyboard.press("Space")
    expect(legend).not_to_have_text(first_day)
    expect(other_day).to_be_focused()  # the swap happened elsewhere: the keyboard stays on the day
    box = page.get_by_role("combobox", name="Goal trick 1")
    expect(box).to_have_value("Airplane (level 3)")
    expect(page.locator("#goal_1-select")).not_to_have_value("")
