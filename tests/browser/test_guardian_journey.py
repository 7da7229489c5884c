"""A 13-year-old and their guardian, on the embedded default: the fan registers with the guardian's
address and cannot book; the guardian opens the emailed link from the development outbox and
allows lessons that cost nothing only; the fan books one; the guardian's copy arrives with its
cancel link; the player's session page says "minor". Axe on each new page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kendama.models import utcnow

from ..support.factories import PASSWORD, PlayerFactory
from .conftest import finish_account_from_email
from .test_video_call import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.committed]

FAN_EMAIL = "kim.young@example.com"
GUARDIAN_EMAIL = "kims.parent@example.com"
FAN_PASSWORD = "kendama-at-thirteen-7"


def open_mail(page, to: str, subject: re.Pattern) -> str:
    """Open the newest email to `to` whose subject matches in the outbox; its text."""
    page.goto("/dev/mail")
    page.locator("tr", has_text=to).get_by_role("link", name=subject).first.click()
    return page.locator(".mail-text").inner_text()


def test_a_young_fan_books_what_the_guardian_allowed(browser, live_app, a11y, unlist_afterwards):
    with live_app.app_context():
        player = PlayerFactory(display_name="Gabi Gentle")
        player_id, player_email = player.id, player.email
    unlist_afterwards(player_id)

    fan = browser.new_context(base_url=live_app.url).new_page()
    fan.goto("/register")
    fan.get_by_label("Your name").fill("Kim Young")
    fan.get_by_label("Email", exact=True).fill(FAN_EMAIL)
    fan.get_by_label(re.compile("^Password")).fill(FAN_PASSWORD)
    fan.get_by_label("Birth year (fans)").fill(str(utcnow().year - 13))
    fan.get_by_role("button", name="Create account").click()
    expect(fan.locator("#guardian_email-error")).to_contain_text("need a parent or guardian")
    a11y.check(fan, "register-young-fan-without-guardian")
    fan.get_by_label(re.compile("^Parent's or guardian's email")).fill(GUARDIAN_EMAIL)
    fan.get_by_label(re.compile("^Password")).fill(FAN_PASSWORD)
    fan.get_by_role("button", name="Create account").click()
    finish_account_from_email(fan, FAN_EMAIL, FAN_PASSWORD)

    fan.goto(f"/players/{player_id}/book")
    expect(fan.locator("body")).to_contain_text("Your parent or guardian has not confirmed yet")
    expect(fan.get_by_role("button", name="Book this time")).to_have_count(0)
    a11y.check(fan, "booking-refused-until-the-guardian-confirms")

    guardian = browser.new_context(base_url=live_app.url).new_page()
    text = open_mail(guardian, GUARDIAN_EMAIL, re.compile("^Kim Young asks for your consent"))
    guardian.goto(re.search(r"https?://[^/\s]+(/guardian/[\w.\-]+)", text).group(1))
    expect(guardian.locator("h1")).to_have_text("Your consent for Kim Young")
    a11y.check(guardian, "guardian-consent")
    guardian.get_by_label("Book lessons that cost nothing").check()
    expect(guardian.get_by_label("Book paid lessons")).not_to_be_checked()
    guardian.get_by_role("button", name="Confirm and save my choices").click()
    expect(guardian.locator(".flashes")).to_contain_text("your choices for Kim Young are saved")

    fan.goto(f"/players/{player_id}/book")
    expect(fan.locator("body")).not_to_contain_text("has not confirmed")
    expect(fan.locator("body")).to_contain_text("your guardian has not allowed recording")
    fan.locator('input[name="start"]').first.check()
    fan.get_by_role("button", name="Book this time").click()
    expect(fan.locator("h1")).to_have_text("You are booked")
    session_path = re.search(r"/sessions/\d+/booked", fan.url).group(0)

    text = open_mail(guardian, GUARDIAN_EMAIL, re.compile("^Copy for you: Kim Young booked"))
    assert "This is your copy of the confirmation" in text and "Gabi Gentle" in text
    guardian.goto(re.search(r"https?://[^/\s]+(/guardian/cancel/[\w.\-]+)", text).group(1))
    expect(guardian.locator("h1")).to_have_text("Cancel this lesson?")
    a11y.check(guardian, "guardian-cancel-confirm")

    player_page = signed_in(browser, live_app.url, player_email, PASSWORD)
    player_page.goto(session_path)
    expect(player_page.locator(".summary-list")).to_contain_text("minor")
    a11y.check(player_page, "player-sees-minor")
