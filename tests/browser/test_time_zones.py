"""Times in the visitor's own zone before sign-in: the browser's zone, remembered by app.js."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import finish_account_from_email

pytestmark = [pytest.mark.browser, pytest.mark.committed]

NEW_YORK = "America/New_York"


@pytest.fixture
def new_yorker(browser, base_url):
    """A first-time visitor whose browser is set to New York time (no cookies yet)."""
    context = browser.new_context(base_url=base_url, timezone_id=NEW_YORK)
    yield context
    context.close()


def zone_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "tz"), None)


def test_an_anonymous_visitor_in_new_york_sees_new_york_times(new_yorker, a11y):
    page = new_yorker.new_page()
    page.goto("/")
    assert zone_cookie(new_yorker) == NEW_YORK  # written as the zone's name, which the server reads
    page.goto("/players?q=ava")
    expect(page.locator(".site-footer")).to_contain_text(f"Times are shown in {NEW_YORK}.")
    expect(page.locator("#results article time").first).to_contain_text(f"({NEW_YORK})")
    page.get_by_role("link", name="Ava Tamaki").click()
    expect(page.locator(".next-open time")).to_contain_text(f"({NEW_YORK})")
    a11y.check(page, "profile-new-york")


def test_the_very_first_page_shows_the_browsers_zone(new_yorker):
    """The first page is drawn before the server knows the zone; it is drawn again, once."""
    page = new_yorker.new_page()
    page.goto("/players?q=ava")
    expect(page.locator(".site-footer")).to_contain_text(f"Times are shown in {NEW_YORK}.")
    expect(page.locator("#results article time").first).to_contain_text(f"({NEW_YORK})")


def test_a_travellers_new_zone_replaces_the_one_remembered(new_yorker, base_url):
    # Remembered in Prague, by an earlier version of the script (URL-encoded); now in New York.
    new_yorker.add_cookies([{"name": "tz", "value": "Europe%2FPrague", "url": base_url}])
    page = new_yorker.new_page()
    page.goto("/policy")
    expect(page.locator(".site-footer")).to_contain_text(f"Times are shown in {NEW_YORK}.")
    assert zone_cookie(new_yorker) == NEW_YORK


def test_registration_preselects_the_browsers_zone_on_the_very_first_page_view(new_yorker, a11y):
    page = new_yorker.new_page()
    page.goto("/register")  # no cookie reached the server yet
    expect(page.get_by_label("Time zone")).to_have_value(NEW_YORK)
    a11y.check(page, "register-new-york")


def test_without_javascript_registration_starts_on_an_empty_zone_and_asks_for_one(browser, base_url):
    context = browser.new_context(base_url=base_url, timezone_id=NEW_YORK, java_script_enabled=False)
    page = context.new_page()
    page.goto("/register")
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("")
    page.get_by_label("Your name").fill("Nora No-Script")
    page.get_by_label("Email", exact=True).fill("nora.noscript@example.com")
    page.get_by_label("Password (at least 10 characters)").fill("long-enough-password")
    page.get_by_label("Birth year (fans)").fill("1988")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#timezone-error")).to_have_text("Choose your time zone.")
    zone.select_option(NEW_YORK)
    page.get_by_label("Password (at least 10 characters)").fill("long-enough-password")
    page.get_by_role("button", name="Create account").click()
    finish_account_from_email(page, "nora.noscript@example.com", "long-enough-password")
    expect(page.locator(".site-footer")).to_contain_text(f"Times are shown in {NEW_YORK}.")
    context.close()
