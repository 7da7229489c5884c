"""Discovery by keyboard (htmx results, address bar, back button, live region), a player's page and
the admin console: zero axe violations in light and dark mode, screenshots also at 360 px wide."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import LiveSession, User, utcnow
from kendama.services.accounts import accounts, profiles
from kendama.services.accounts.profiles import OfferingInput
from kendama.services.demo_data import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.committed]

NARROW = {"width": 360, "height": 800}


def cards(page):
    return page.locator("#results article h3")


def test_discovery_filters_by_keyboard_update_the_address_and_back_works(page, a11y):
    page.goto("/players")
    expect(cards(page)).to_have_count(3)
    a11y.check(page, "players")

    price = page.get_by_label("Price", exact=True)
    price.focus()
    page.keyboard.press("ArrowDown")  # "Free sessions": a change event, as a keyboard user makes it
    expect(page).to_have_url(re.compile(r"/players\?price=free$"))
    expect(cards(page)).to_have_count(2)
    expect(page.locator("#live-region")).to_have_text("2 players found")
    expect(price).to_be_focused()  # focus stays where the user is working

    page.keyboard.press("Shift+Tab")  # back to the search box
    expect(page.get_by_label("Name or style")).to_be_focused()
    page.keyboard.type("maya")
    expect(page).to_have_url(re.compile(r"/players\?q=maya&price=free$"))
    expect(cards(page)).to_have_text(["Maya Brooks"])
    expect(page.locator("#live-region")).to_have_text("1 player found")
    a11y.check(page, "players-filtered")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/players\?price=free$"))
    expect(cards(page)).to_have_count(2)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/players$"))
    expect(cards(page)).to_have_count(3)

    page.set_viewport_size(NARROW)
    page.goto("/players?sort=price")
    expect(cards(page).first).to_have_text("Ava Tamaki")  # free lessons first
    a11y.check(page, "players-360")


def test_discovery_works_without_javascript(browser, base_url):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/players")
    page.get_by_label("Length").select_option("20")
    page.get_by_role("button", name="Show players").click()
    expect(page).to_have_url(re.compile(r"duration=20"))
    expect(cards(page)).to_have_text(["Maya Brooks"])
    context.close()


def test_player_profile_page_leads_into_booking(page, a11y):
    page.goto("/players?q=ava")
    link = page.get_by_role("link", name="Ava Tamaki")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Ava Tamaki")
    expect(page.get_by_text("Verified player")).to_be_visible()
    expect(page.get_by_role("heading", name="Open times in the next 7 days")).to_be_visible()
    expect(page.locator(".week-day").first).to_be_visible()
    a11y.check(page, "profile")
    page.get_by_role("link", name="30 min").click()
    expect(page.get_by_text("for a 30-minute lesson")).to_be_visible()
    page.set_viewport_size(NARROW)
    a11y.check(page, "profile-360")
    page.locator(".week-day a").first.click()
    expect(page).to_have_url(re.compile(r"/book\?duration=30&day="))
    expect(page.locator("h1")).to_have_count(1)


@pytest.fixture(scope="module")
def console_data(live_app):
    """A player waiting for verification with a few sessions of their own (they block no demo player)."""
    with live_app.app_context():
        email = "queue.quinn@example.com"
        player = db.session.scalar(select(User).where(User.email == email))
        if player is None:
            player = accounts.register_user(email, DEMO_PASSWORD, "Quinn Queue", "player", "Europe/Oslo")
            profiles.update_profile(
                player,
                bio="Ten years of freestyle; I coach juniors at the Oslo kendama club every Saturday.",
                offerings=[OfferingInput(20, 0)],
                accepts_bookings=True,
            )
            fan = db.session.scalar(select(User).where(User.email == "fan@example.com"))
            day = utcnow().replace(minute=0, second=0, microsecond=0)
            for offset, status in ((-3, "completed"), (-1, "cancelled"), (20, "confirmed")):
                starts = day + timedelta(days=offset)
                db.session.add(
                    LiveSession(
                        fan_id=fan.id,
                        player_id=player.id,
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=20),
                        blocked_until=starts + timedelta(minutes=20),
                        duration_minutes=20,
                        status=status,
                        cancelled_by_role="fan" if status == "cancelled" else None,
                    )
                )
            db.session.commit()
    return email


def sign_in_admin(page):
    page.goto("/login")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.locator("h1")).to_have_count(1)


def test_admin_console_pages(page, a11y, console_data):
    sign_in_admin(page)
    page.goto("/admin/")
    expect(page.locator("h1")).to_have_text("Admin console")
    expect(page.get_by_role("heading", name="Quinn Queue")).to_be_visible()
    a11y.check(page, "admin")

    page.get_by_role("link", name="All sessions").click()
    expect(page.locator("h1")).to_have_text("All sessions")
    page.get_by_label("Player or fan").fill("quinn")
    page.get_by_label("Status").select_option("cancelled")
    page.get_by_role("button", name="Filter").press("Enter")
    expect(page).to_have_url(re.compile(r"person=quinn&status=cancelled"))
    expect(page.locator("tbody tr")).to_have_count(1)
    a11y.check(page, "admin-sessions")

    page.goto("/admin/sessions?start_date=2030-03-05&end_date=2030-03-01")
    expect(page.locator("#error-summary")).to_be_focused()
    a11y.check(page, "admin-sessions-error")

    for path, name in (
        ("/admin/payments", "revenue"),
        ("/admin/payments/refunds", "refunds"),
        ("/admin/notifications", "notifications"),
        ("/admin/recordings", "recordings"),
        ("/admin/rollout", "rollout"),
        ("/admin/feedback", "feedback"),
        ("/admin/tricks", "tricks"),
    ):
        page.goto(path)
        expect(page.locator("h1")).to_have_count(1)
        a11y.check(page, f"admin-{name}")

    page.set_viewport_size(NARROW)
    page.goto("/admin/")
    a11y.check(page, "admin-360")
    page.goto("/admin/sessions?person=quinn")
    a11y.check(page, "admin-sessions-360")
