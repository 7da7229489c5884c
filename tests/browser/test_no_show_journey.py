"""A player who did not come, on the embedded default: the fan reports it from the dashboard's
link, the player disputes it on the session page, an administrator decides with both sides'
words and the join records in view, and the fan's page says how it ended. Keyboard and axe."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from kendama.models import utcnow

from ..support.booking_helpers import lesson_at
from ..support.factories import PASSWORD, AdminFactory
from .test_video_call import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_the_fan_reports_the_player_disputes_and_an_admin_decides(browser, live_app, a11y, unlist_afterwards):
    with live_app.app_context():
        session = lesson_at((utcnow() - timedelta(minutes=15)).replace(microsecond=0))
        session_id, fan_email, player_email = session.id, session.fan.email, session.player.email
        player_name, admin_email = session.player.display_name, AdminFactory().email
        unlist_afterwards(session.player_id)

    fan_page = signed_in(browser, live_app.url, fan_email, PASSWORD)
    fan_page.get_by_role("link", name=re.compile(f"^{player_name} did not come")).click()
    expect(fan_page.get_by_role("heading", name="Did someone not come?")).to_be_visible()
    a11y.check(fan_page, "report-form")
    statement = fan_page.get_by_label("What happened (optional)")
    statement.focus()
    fan_page.keyboard.type("I waited in the call for twenty minutes.")
    fan_page.get_by_role("button", name=f"{player_name} did not come: report it").focus()
    fan_page.keyboard.press("Enter")
    expect(fan_page.locator(".flashes")).to_contain_text("Reported.")
    expect(fan_page.get_by_text(re.compile("can dispute it until"))).to_be_visible()

    player_page = signed_in(browser, live_app.url, player_email, PASSWORD)
    player_page.goto("/dev/mail")
    expect(player_page.locator("tr", has_text=player_email).filter(has_text="says you did not come")).to_have_count(1)
    player_page.goto(f"/sessions/{session_id}/join#no-show-title")
    expect(player_page.get_by_text("I waited in the call for twenty minutes.")).to_be_visible()
    a11y.check(player_page, "dispute-form")
    player_page.get_by_label("If you were there, or could not be, say what happened").fill(
        "My train stopped in a tunnel; I wrote to the fan."
    )
    player_page.get_by_role("button", name="Dispute the report").click()
    expect(player_page.locator(".flashes")).to_contain_text("Disputed.")

    admin_page = browser.new_context(base_url=live_app.url).new_page()
    admin_page.goto("/login")
    admin_page.get_by_label("Email").fill(admin_email)
    admin_page.get_by_label("Password").fill(PASSWORD)
    admin_page.get_by_role("button", name="Sign in").click()
    expect(admin_page.locator("h1")).to_have_text("Admin console")
    admin_page.get_by_role("link", name="Disputed no-shows").click()
    card = admin_page.locator(
        "section", has=admin_page.get_by_role("heading", name=re.compile(f"^Session #{session_id}:"))
    )
    expect(card).to_contain_text("My train stopped in a tunnel")
    expect(card.locator("dt:text-is('Player let into the call') + dd")).to_have_text("Never")
    a11y.check(admin_page, "admin-no-shows")
    card.get_by_role("button", name=f"Decide on session #{session_id}").click()  # nothing chosen yet
    expect(admin_page.get_by_text("Choose a decision.")).to_be_visible()
    card = admin_page.locator(
        "section", has=admin_page.get_by_role("heading", name=re.compile(f"^Session #{session_id}:"))
    )
    card.get_by_label("The player did not come: refund the fan in full").check()
    card.get_by_label("Why (both sides see it)").fill("A late train is the player's absence.")
    card.get_by_role("button", name=f"Decide on session #{session_id}").click()
    expect(admin_page.locator(".flashes")).to_contain_text("Decided: refunded in full.")

    fan_page.reload()
    expect(
        fan_page.get_by_text(re.compile(f"^Settled: {player_name} did not come, so the fan gets a full refund"))
    ).to_be_visible()
    a11y.check(fan_page, "settled")
