"""The booking page by keyboard: focus after the picker's htmx swaps, and refusals told up front.

When a swap replaces the element that had focus (the day navigation links), focus moves to the
same link in the new fragment, or to the step's heading when the new fragment has none; when the
swap happens elsewhere (a radio's change), focus stays on the radio. The live region still speaks.
A fan who cannot book is told so before they fill the form, and the message takes the focus.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import User
from kendama.services.booking import lifecycle, queries, rollout
from kendama.services.timezones import iso_utc

from .conftest import finish_account_from_email
from .test_journeys import sign_in, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def focused_text(page) -> str:
    """What has the focus: its tag and text (or its label, for inputs)."""
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            const label = e.labels && e.labels.length ? e.labels[0].innerText : e.innerText;
            return `${e.tagName.toLowerCase()}: ${(label || '').trim()}`;
        }"""
    )


def booking_page(page, live_app, email: str = "ava@example.com") -> None:
    with live_app.app_context():
        player_id = db.session.scalar(select(User.id).where(User.email == email))
    page.goto(f"/players/{player_id}/book")
    expect(page.locator("h1")).to_contain_text("Book a lesson with")


def test_day_navigation_by_keyboard_keeps_the_focus_on_the_navigation(page, live_app):
    booking_page(page, live_app)
    legend = page.locator("#booking-days legend").first
    first_week = legend.inner_text()
    later = page.get_by_role("link", name="Later days →")
    tab_to(page, later)
    page.keyboard.press("Enter")

    expect(legend).not_to_have_text(first_week)
    expect(page.locator("#live-region")).to_contain_text("with open times from")
    # The same link of the new fragment has the focus, so Enter again goes on to the next week.
    expect(page.get_by_role("link", name="Later days →")).to_be_focused()
    page.keyboard.press("Tab")
    assert re.match(r"input: \d\d:\d\d", focused_text(page)), focused_text(page)  # the first time of the day

    # Back to the first week, which has no earlier link: focus goes to the step's heading.
    earlier = page.get_by_role("link", name="← Earlier days")
    tab_to(page, earlier)
    page.keyboard.press("Enter")
    expect(legend).to_have_text(first_week)
    expect(earlier).to_have_count(0)
    expect(page.get_by_role("heading", name="2. Choose a day")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused_text(page).startswith("input: "), focused_text(page)
    expect(page.locator('input[name="day"]:checked')).to_be_focused()  # the chosen day, the next step


def test_changing_the_length_or_the_day_by_keyboard_leaves_the_focus_on_the_radio(page, live_app):
    booking_page(page, live_app)
    shortest = page.get_by_label(re.compile(r"^15 minutes"))
    tab_to(page, shortest)
    page.keyboard.press("ArrowDown")
    longer = page.get_by_label(re.compile(r"^30 minutes"))
    expect(longer).to_be_checked()
    expect(page.locator("#booking-days legend").first).to_contain_text("Days with open 30-minute times")
    expect(page.locator("#live-region")).to_contain_text("with open times from")
    expect(longer).to_be_focused()

    days = page.locator('input[name="day"]')
    tab_to(page, days.first)
    page.keyboard.press("ArrowRight")
    expect(days.nth(1)).to_be_checked()
    expect(page.locator("#live-region")).to_contain_text("open times on")
    expect(days.nth(1)).to_be_focused()


def test_a_note_and_consent_survive_picking_another_day_or_length(page, live_app):
    """Picking another day replaces the time step's form, which held what the fan had typed."""
    booking_page(page, live_app)
    note = page.get_by_label(re.compile("Anything the player should know"))
    consent = page.get_by_label(re.compile("may be recorded"))
    note.fill("Spacewalk, please.")
    consent.check()
    page.locator('input[name="day"]').nth(1).check()
    expect(page.locator("#live-region")).to_contain_text("open times on")
    expect(note).to_have_value("Spacewalk, please.")
    expect(consent).to_be_checked()
    page.get_by_label(re.compile(r"^30 minutes")).check()
    expect(page.locator("#booking-days legend").first).to_contain_text("Days with open 30-minute times")
    expect(note).to_have_value("Spacewalk, please.")
    expect(consent).to_be_checked()


@pytest.fixture
def closed_beta(live_app):
    """Live sessions in the closed beta with Ava on its list (the demo fan is not); open again after."""
    with live_app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
        rollout.set_state(admin, "beta")
        rollout.add_to_allowlist(admin, "ava@example.com")
    yield
    with live_app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
        for user in rollout.allowlist():
            rollout.remove_from_allowlist(admin, user.id)
        rollout.set_state(admin, "everyone")


def test_a_fan_outside_the_beta_is_told_before_the_form(page, live_app, a11y, closed_beta):
    sign_in(page, "fan@example.com")
    booking_page(page, live_app)
    notice = page.locator("#error-summary")
    expect(notice).to_have_text("Live sessions are in a closed beta for now, and you are not on the beta list yet.")
    expect(notice).to_be_focused()
    expect(page.locator('input[name="start"]').first).to_be_visible()  # the open times can still be seen
    expect(page.get_by_role("button", name="Book this time")).to_have_count(0)
    a11y.check(page, "booking-closed-beta")


def test_a_visitor_who_creates_an_account_midway_confirms_with_one_press(page, live_app, a11y):
    booking_page(page, live_app, "maya@example.com")
    tab_to(page, page.get_by_role("link", name="Later days →"))
    page.keyboard.press("Enter")
    expect(page.locator("#live-region")).to_contain_text("with open times from")
    last_time = page.locator('input[name="start"]').last
    when = last_time.get_attribute("value")
    last_time.check()
    page.get_by_label("Anything the player should know? (optional)").fill("First lesson: grips and stance.")
    page.get_by_label(re.compile("I agree that this session may be recorded")).check()
    page.get_by_role("button", name="create an account").click()

    expect(page.locator("h1")).to_have_text("Create an account")
    expect(page.locator(".flashes")).to_contain_text("We keep your choices")
    assert "grips" not in page.url
    page.get_by_label("Your name").fill("Mia Midway")
    page.get_by_label("Email", exact=True).fill("mia.midway@example.com")
    page.get_by_label(re.compile("^Password")).fill("long-enough-pw")
    page.get_by_label("Birth year (fans)").fill("1995")
    page.get_by_role("button", name="Create account").click()
    finish_account_from_email(page, "mia.midway@example.com", "long-enough-pw", a11y)

    expect(page.locator("h1")).to_have_text("Book a lesson with Maya Brooks")
    notice = page.get_by_role("status").filter(has_text="We kept your choices")
    expect(notice).to_have_text("We kept your choices; check them and press Book this time.")
    expect(notice).to_be_focused()
    expect(page.locator(f'input[name="start"][value="{when}"]')).to_be_checked()
    expect(page.get_by_label("Anything the player should know? (optional)")).to_have_value(
        "First lesson: grips and stance."
    )
    expect(page.get_by_label(re.compile("I agree that this session may be recorded"))).to_be_checked()
    a11y.check(page, "booking-kept-choices")
    tab_to(page, page.get_by_role("button", name="Book this time"))
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("You are booked")
    expect(page.locator(".summary-list")).to_contain_text("First lesson: grips and stance.")
    with live_app.app_context():
        mia = db.session.scalar(select(User).where(User.email == "mia.midway@example.com"))
        (booked,) = queries.list_sessions(mia).items
        assert booked.fan_recording_consent and iso_utc(booked.starts_at) == when
        lifecycle.cancel(mia, booked.id)  # Maya's time is free again for the other tests
