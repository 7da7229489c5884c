"""Paying in the browser through the Stripe sandbox's checkout page, as in the embedded default:
keyboard only, a declined card first, then the confirmation; payouts, earnings and admin pages; axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import User
from kendama.services import demo_data
from kendama.services.payments import checkout, payouts

from ..support.live_server import serve
from ..support.payments_helpers import held_session

pytestmark = [pytest.mark.browser, pytest.mark.committed]


@pytest.fixture(scope="module")
def payments_app(tmp_path_factory):
    """The app with its sandbox reached over HTTP, as `flask run` serves it, and the demo data."""
    state = tmp_path_factory.mktemp("stripe-browser") / "sandbox.sqlite3"
    with serve({"STRIPE_SANDBOX_TRANSPORT": "http", "STRIPE_SANDBOX_DB": str(state)}, backend="sqlite") as server:
        with server.app_context():
            list(demo_data.seed())
        yield server


def user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def signed_in(browser, url: str, email: str):
    page = browser.new_context(base_url=url).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(demo_data.DEMO_PASSWORD)
    page.get_by_label("Password").press("Enter")
    # Signed in: on the dashboard, or the admin console for an administrator.
    expect(page.locator("h1")).to_contain_text(re.compile(r"^Hello|^Admin console$"))
    return page


def fill_card(page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Finn Fan")


def test_fan_pays_for_a_demo_players_session_by_keyboard(browser, payments_app, a11y):
    with payments_app.app_context():
        session = held_session(player=user("leo@example.com"), fan=user("fan@example.com"), price=1500, currency="eur")
        checkout_url, session_id = checkout.open_checkout(session.id).checkout_url, session.id
    page = signed_in(browser, payments_app.url, "fan@example.com")

    page.goto(checkout_url)
    expect(page.locator("h1")).to_have_text("Pay EUR 15.00")
    a11y.check(page, "sandbox-checkout")
    fill_card(page, "4000 0000 0000 0002")
    page.get_by_label("Name on card").press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Your card was declined.")
    a11y.check(page, "sandbox-checkout-declined")

    fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay EUR 15.00").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Your payment")
    expect(page.locator("#payment-status-live")).to_contain_text("your session is confirmed", timeout=10_000)
    assert page.url.startswith(f"{payments_app.url}/sessions/{session_id}/payment")
    a11y.check(page, "payment-confirmed")


def test_payout_earnings_and_admin_pages_are_accessible(browser, payments_app, a11y):
    player = signed_in(browser, payments_app.url, "leo@example.com")
    player.goto("/dashboard/payouts")
    expect(player.locator("h1")).to_have_text("Payouts")
    a11y.check(player, "payouts")
    player.goto("/dashboard/earnings")
    a11y.check(player, "earnings")

    admin = signed_in(browser, payments_app.url, "admin@example.com")
    for path, name in (("/admin/payments", "admin-revenue"), ("/admin/payments/refunds", "admin-refunds")):
        admin.goto(path)
        expect(admin.locator("h1")).to_have_count(1)
        a11y.check(admin, name)


def test_onboarding_page_is_accessible_and_reports_back(browser, payments_app, a11y):
    with payments_app.app_context():
        link = payouts.start_onboarding(user("ava@example.com"))
    page = signed_in(browser, payments_app.url, "ava@example.com")
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Set up payouts")
    a11y.check(page, "sandbox-onboarding")
    page.get_by_label("Submit complete details (charges and payouts enabled)").check()
    page.get_by_role("button", name="Continue").press("Enter")
    expect(page.locator("h1")).to_have_text("Payouts")
    expect(page.locator(".flashes")).to_contain_text("Payouts are set up")
