"""A fan buys a 3-lesson package and books with a credit, on the embedded default: the package on
the player's profile with its saving, paid on the Stripe sandbox's checkout page; the booking form
offers the credit and the lesson costs nothing more; cancelling early gives the credit back; the
credits page counts them and refunds the unused ones pro rata. Keyboard and axe on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kendama.services.payments import packages

from ..support.factories import PASSWORD, FanFactory, PlayerFactory
from .test_video_call import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.committed]

SETTLE_MS = 30_000  # the sandbox's webhook, a moment after the payment


def test_a_fan_buys_a_package_books_with_a_credit_and_gets_it_back(browser, live_app, a11y, unlist_afterwards):
    with live_app.app_context():
        player = PlayerFactory(display_name="Pia Package", setup__paid=True, setup__price=2500, setup__currency="eur")
        packages.set_packages(player, [packages.PackageInput(3, 30, 6000)])
        player_id = player.id
        fan_email = FanFactory(display_name="Finn Credits").email
    unlist_afterwards(player_id)

    page = signed_in(browser, live_app.url, fan_email, PASSWORD)
    page.goto(f"/players/{player_id}")
    offer = page.locator("section", has=page.get_by_role("heading", name="Lesson packages"))
    expect(offer).to_contain_text("3 lessons of 30 minutes: EUR 60.00")
    expect(offer).to_contain_text("you save EUR 15.00, 20 %")
    a11y.check(page, "profile-packages")
    offer.get_by_role("button", name="Buy 3 lessons of 30 minutes").focus()
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_contain_text("Pay EUR")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Finn Credits")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.get_by_text("Payment received: your 3 lesson credits are ready")).to_be_visible(timeout=SETTLE_MS)
    a11y.check(page, "package-paid")

    page.get_by_role("link", name="Book a lesson with a credit").click()
    expect(page.locator("h1")).to_have_text("Book a lesson with Pia Package")
    day = page.locator("input[type=radio][name=day]").nth(2)
    day.check()
    # The day's times replace the first day's (htmx): wait for them before choosing one.
    expect(page.locator("#booking-slots input[name=day]")).to_have_value(day.get_attribute("value"))
    page.locator("input[name=start]").first.check()
    credit = page.get_by_label("Book with one of my lesson credits (3 left)")
    expect(credit).to_be_checked()
    a11y.check(page, "booking-with-credit")
    page.get_by_role("button", name="Book this time").click()
    expect(page.locator("h1")).to_have_text("You are booked")
    expect(page.get_by_text("One lesson credit of your package")).to_be_visible()

    page.goto("/dashboard/credits")
    expect(page.locator("dd").first).to_have_text("2 of 3")

    page.goto("/dashboard/")
    page.locator("#upcoming li.session").filter(has_text="Pia Package").get_by_text(re.compile("^Cancel")).click()
    expect(page.get_by_text("Lesson credit if you cancel now: back to you.")).to_be_visible()
    a11y.check(page, "cancel-credit")
    page.get_by_role("button", name="Cancel the session").click()

    page.goto("/dashboard/credits")
    expect(page.locator("dd").first).to_have_text("3 of 3")
    a11y.check(page, "credits")
    page.get_by_role("button", name=re.compile(r"^Refund the 3 unused credits: EUR 60\.00")).click()
    expect(page.locator(".flashes")).to_contain_text("Refund of EUR 60.00 on its way to your card.")
    expect(page.get_by_role("button", name=re.compile("^Refund"))).to_have_count(0)
