"""A review on the embedded default: the fan reviews a completed lesson from the dashboard by
keyboard, the review and the rating show on the player's profile, the player replies once, an
administrator hides it with a reason and the profile no longer counts it. axe along the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..support.booking_helpers import past_lesson
from ..support.factories import PASSWORD, AdminFactory, FanFactory, PlayerFactory
from .test_video_call import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_the_fan_reviews_the_player_replies_and_an_admin_hides_it(browser, live_app, a11y, unlist_afterwards):
    with live_app.app_context():
        session = past_lesson(PlayerFactory(display_name="Rhea Review"), FanFactory(display_name="Finn Feedback"))
        player_id, fan_email, player_email = session.player_id, session.fan.email, session.player.email
        admin_email = AdminFactory().email
    unlist_afterwards(player_id)

    fan_page = signed_in(browser, live_app.url, fan_email, PASSWORD)
    five = fan_page.get_by_role("radio", name="5 stars (excellent)").first
    five.focus()
    fan_page.keyboard.press("Space")
    fan_page.get_by_label("Your review (optional)").first.fill("Rhea broke lunar into three small steps.")
    fan_page.get_by_label(re.compile("^Everyone: shown on the player's profile")).first.check()
    a11y.check(fan_page, "review-form")
    fan_page.get_by_role("button", name=re.compile("^(Send|Leave|Post)")).first.click()
    expect(fan_page.locator(".flashes")).to_be_visible()

    fan_page.goto(f"/players/{player_id}")
    expect(fan_page.get_by_text("5.0 out of 5, 1 review").first).to_be_visible()
    expect(fan_page.get_by_text("Rhea broke lunar into three small steps.")).to_be_visible()
    a11y.check(fan_page, "profile-review")

    player_page = signed_in(browser, live_app.url, player_email, PASSWORD)
    reply = player_page.locator("#received-reviews").get_by_role("textbox").first
    reply.fill("Thank you, Finn: keep the knees soft.")
    player_page.locator("#received-reviews").get_by_role("button", name=re.compile("^Reply")).click()
    expect(player_page.locator("#received-reviews")).to_contain_text("Thank you, Finn")
    fan_page.reload()
    expect(fan_page.get_by_text("Thank you, Finn: keep the knees soft.")).to_be_visible()

    admin_page = browser.new_context(base_url=live_app.url).new_page()
    admin_page.goto("/login")
    admin_page.get_by_label("Email").fill(admin_email)
    admin_page.get_by_label("Password").fill(PASSWORD)
    admin_page.get_by_role("button", name="Sign in").click()
    admin_page.goto("/admin/feedback")
    row = admin_page.locator("form", has=admin_page.get_by_role("button", name="Hide the review by Finn Feedback"))
    row.get_by_label("Why hide it").fill("Names a third person.")
    row.get_by_role("button", name="Hide the review by Finn Feedback").click()
    expect(admin_page.get_by_text("Names a third person.").first).to_be_visible()
    a11y.check(admin_page, "admin-reviews")

    fan_page.reload()
    expect(fan_page.get_by_text("Rhea broke lunar into three small steps.")).to_have_count(0)
    expect(fan_page.get_by_text(re.compile(r"out of 5, \d+ reviews?"))).to_have_count(0)
