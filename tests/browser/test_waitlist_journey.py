"""A waitlisted fan gets the freed time, on the embedded default: the fan joins the line for a day
with no open time from the booking page, sees the place on the dashboard; the booked fan cancels;
the offer email's link leads to the booking page, where the held time books. Keyboard and axe."""

from __future__ import annotations

import re
from datetime import time

import pytest
from playwright.sync_api import expect

from kendama.extensions import db
from kendama.models import DateOverride
from kendama.services.booking import lifecycle, waitlist
from kendama.tasks.queue import dispatch_committed

from ..support.booking_helpers import weekday_at
from ..support.factories import PASSWORD, FanFactory, PlayerFactory
from .test_video_call import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_a_waitlisted_fan_gets_the_freed_time(browser, live_app, a11y, unlist_afterwards):
    with live_app.app_context():
        player = PlayerFactory(display_name="Wanda Waitlist")
        start = weekday_at(10, days_ahead=5)
        day = start.astimezone(waitlist.zone("Europe/Prague")).date()
        db.session.add(DateOverride(player_id=player.id, date=day, start_time=time(10), end_time=time(10, 30)))
        db.session.commit()
        booked = lifecycle.create_session(FanFactory(), player.id, start, 30)
        player_id, booked_id, booked_fan = player.id, booked.id, booked.fan
        waiting_email = FanFactory(display_name="Will Wait").email
    unlist_afterwards(player_id)

    page = signed_in(browser, live_app.url, waiting_email, PASSWORD)
    page.goto(f"/players/{player_id}/book")
    a11y.check(page, "booking-waitlist")
    day_box = page.get_by_label("The day you want (30 minutes)")
    day_box.fill(day.isoformat())
    page.get_by_role("button", name="Join the waitlist for that day").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text("number 1 in line")
    page.goto("/dashboard/")
    places = page.locator("section", has=page.get_by_role("heading", name="Waitlists"))
    expect(places).to_contain_text("Wanda Waitlist")
    expect(places).to_contain_text("waiting for a time to open.")
    a11y.check(page, "dashboard-waitlist")

    with live_app.app_context():
        lifecycle.cancel(db.session.merge(booked_fan), booked_id)
        dispatch_committed()  # the job after the commit offers the freed time (inline, as in development)

    page.goto("/dev/mail")
    offer = page.locator("tr", has_text=waiting_email).get_by_role(
        "link", name=re.compile("^A time opened with Wanda Waitlist")
    )
    expect(offer).to_have_count(1)
    offer.click()
    link = re.search(r"https?://[^/\s]+(/players/\d+/book\?[^\s]+)", page.locator(".mail-text").inner_text())
    page.goto(link.group(1))
    slot = page.locator('input[name="start"]').first
    expect(slot).to_be_visible()
    slot.check()
    page.get_by_role("button", name="Book this time").click()
    expect(page.locator("h1")).to_have_text("You are booked")
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", name="Waitlists")).to_have_count(0)  # booked: out of the line
