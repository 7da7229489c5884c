"""The product's main journeys end to end, on the shared live server (the embedded default: the
Stripe sandbox reached over HTTP and posting its webhooks back, the development mail outbox).

A fan books a free session by keyboard alone and gets the email; pays for a session on the
sandbox's checkout page, and a declined card's hold runs out and frees the slot; reschedules and
cancels with the refund shown first and its status after; a player sets hours that a fan then
sees. axe-core checks every page on the way, in light and dark mode, and screenshots are saved.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kendama.extensions import db
from kendama.integrations.stripe.sandbox import clock
from kendama.models import LiveSession, Payment, Profile, User, utcnow
from kendama.services.accounts import accounts, profiles
from kendama.services.accounts.profiles import OfferingInput
from kendama.services.demo_data import DEMO_PASSWORD
from kendama.services.payments import checkout
from kendama.services.timezones import in_zone, parse_aware

from ..support.payments_helpers import held_session, pay

pytestmark = [pytest.mark.browser, pytest.mark.committed]

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
NARROW = {"width": 360, "height": 800}


def tab_to(page, target, limit: int = 80) -> None:
    """Press Tab until `target` has the focus: it is reachable by keyboard, in the page's order."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} never received the focus by Tab")


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    expect(page.locator("h1")).to_contain_text("Hello")


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def user_id(live_app, email: str) -> int:
    with live_app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def fill_card(page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Finn Fan")


def session_row(page, text: str):
    return page.locator("#upcoming li.session, #past li.session").filter(has_text=text)


def test_fan_books_a_free_session_by_keyboard_and_the_confirmation_arrives(page, a11y):
    sign_in(page, "fan@example.com")
    a11y.check(page, "dashboard-before")

    tab_to(page, main_nav(page).get_by_role("link", name="Find a player"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_count(1)
    tab_to(page, page.get_by_label("Name or style"))
    page.keyboard.type("ava")
    expect(page.locator("#results article h3")).to_have_text(["Ava Tamaki"])
    a11y.check(page, "discover")
    tab_to(page, page.get_by_role("link", name="Ava Tamaki"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Ava Tamaki")
    a11y.check(page, "player-profile")

    tab_to(page, page.get_by_role("link", name="Book a lesson with Ava Tamaki"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Book a lesson with Ava Tamaki")
    # 1. The length: the arrow key moves the checked radio, and htmx brings that length's days.
    tab_to(page, page.get_by_label(re.compile(r"^15 minutes")))
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label(re.compile(r"^30 minutes"))).to_be_checked()
    expect(page.locator("#booking-days legend").first).to_contain_text("Days with open 30-minute times")
    expect(page.locator("#live-region")).to_contain_text("days with open times")
    # 2. A day (the first is chosen already); the next day by arrow key, and its times arrive.
    days = page.locator('input[type="radio"][name="day"]')
    tab_to(page, days.first)
    page.keyboard.press("ArrowRight")
    expect(days.nth(1)).to_be_checked()
    expect(page.locator("#booking-slots legend").first).to_contain_text("3. Choose a time on")
    expect(page.locator("#live-region")).to_contain_text("open times on")
    a11y.check(page, "booking-picker")
    # 3. A time, notes, consent, and the booking itself.
    first_time = page.locator('input[name="start"]').first
    tab_to(page, first_time)
    page.keyboard.press("Space")
    expect(first_time).to_be_checked()
    when = page.locator(f'label[for="{first_time.get_attribute("id")}"]').inner_text().split("\n")[0]
    tab_to(page, page.get_by_label("Anything the player should know? (optional)"))
    page.keyboard.type("Working on lighthouse to spike.")
    tab_to(page, page.get_by_label(re.compile("I agree that this session may be recorded")))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Book this time"))
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("You are booked")
    expect(page.locator(".summary-list")).to_contain_text("Working on lighthouse to spike.")
    a11y.check(page, "booked")

    tab_to(page, main_nav(page).get_by_role("link", name="Dashboard"))
    page.keyboard.press("Enter")
    row = session_row(page, "with Ava Tamaki").filter(has_text=when)
    expect(row).to_have_count(1)
    expect(row.locator(".tag")).to_have_text("Confirmed")
    expect(row).to_contain_text("Your notes: Working on lighthouse to spike.")
    a11y.check(page, "dashboard-booked")

    page.goto("/dev/mail")
    # The outbox is the browser suite's: other tests book Ava for this fan too (a test call), so
    # the email is the one for the time booked here.
    message = page.locator("tr", has_text="fan@example.com").get_by_role(
        "link", name=re.compile(rf"^Confirmed: kendama session with Ava Tamaki on .*, {re.escape(when)}")
    )
    expect(message).to_have_count(1)
    a11y.check(page, "mail-outbox")
    message.click()
    expect(page.get_by_role("link", name=re.compile(r"Download .*\.ics"))).to_be_visible()
    a11y.check(page, "mail-message")


def book_first_time(page, player_id: int, duration: int, day: str | None = None) -> str:
    """On the booking page, take the first open time (of `day`, if given); returns its start value."""
    query = f"duration={duration}" + (f"&from={day}&day={day}" if day else "")
    page.goto(f"/players/{player_id}/book?{query}")
    first_time = page.locator('input[name="start"]').first
    value = first_time.get_attribute("value")
    first_time.check()
    page.get_by_role("button", name="Book this time").click()
    return value


def test_fan_pays_on_the_sandbox_checkout_and_a_declined_hold_frees_the_slot(page, a11y, live_app):
    leo = user_id(live_app, "leo@example.com")
    sign_in(page, "fan@example.com")

    start = book_first_time(page, leo, 15)
    expect(page.locator("h1")).to_have_text("Pay EUR 15.00")
    a11y.check(page, "checkout")
    fill_card(page, GOOD_CARD)
    page.get_by_role("button", name="Pay EUR 15.00").press("Enter")
    expect(page.locator("h1")).to_have_text("Your payment")
    expect(page.locator("#payment-status-live")).to_contain_text("your session is confirmed", timeout=10_000)
    a11y.check(page, "payment-confirmed")

    page.get_by_role("link", name="Go to your dashboard").click()
    row = session_row(page, "with Leo Martins").filter(has=page.locator(".tag", has_text="Confirmed"))
    expect(row).to_have_count(1)
    expect(page.locator("#receipts tbody tr")).to_contain_text(["EUR 15.00 on"])
    row.get_by_role("link", name=re.compile("^Receipt")).click()
    expect(page.locator("h1")).to_have_text("Receipt")
    expect(page.locator(".summary-list").nth(1)).to_contain_text("EUR 15.00")
    expect(page.get_by_text("Platform fee")).to_have_count(0)
    a11y.check(page, "receipt")

    # A second booking, paid with a card that is declined: the slot stays held meanwhile.
    day = in_zone(parse_aware(start, field="start"), "Europe/Prague").date().isoformat()
    declined_start = book_first_time(page, leo, 15, day)
    assert declined_start != start
    fill_card(page, DECLINED_CARD)
    page.get_by_label("Name on card").press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("Your card was declined.")
    a11y.check(page, "checkout-declined")
    page.goto(f"/players/{leo}/book?duration=15&from={day}&day={day}")
    expect(page.locator(f'input[name="start"][value="{declined_start}"]')).to_have_count(0)

    # Stripe expires the Checkout Session with the hold; the sandbox does it when its clock passes
    # the expiry and posts checkout.session.expired to the server, which releases the slot.
    with live_app.app_context():
        held = db.session.scalar(
            select(LiveSession).where(
                LiveSession.player_id == leo, LiveSession.starts_at == parse_aware(declined_start, field="start")
            )
        )
        expires = db.session.scalar(select(Payment.expires_at).where(Payment.session_id == held.id))
        assert clock.tick(live_app.app, moment=int(expires.timestamp()) + 1) >= 1
    page.reload()
    expect(page.locator(f'input[name="start"][value="{declined_start}"]')).to_have_count(1)
    a11y.check(page, "slot-free-again")
    page.goto("/dashboard/")
    released = page.locator("#past li.session").filter(has_text="cancelled by the system (payment not completed)")
    expect(released).to_have_count(1)


@pytest.fixture
def paid_session(live_app):
    """A confirmed session of Leo's, paid through the sandbox, three weeks ahead (Monday, 11:00 UTC)."""
    with live_app.app_context():
        leo = db.session.scalar(select(User).where(User.email == "leo@example.com"))
        fan = db.session.scalar(select(User).where(User.email == "fan@example.com"))
        day = (utcnow() + timedelta(days=21)).date()
        day -= timedelta(days=day.weekday())
        starts = utcnow().replace(
            year=day.year, month=day.month, day=day.day, hour=11, minute=0, second=0, microsecond=0
        )
        session = held_session(player=leo, fan=fan, price=1500, currency="eur", starts_at=starts, duration_minutes=15)
        checkout_url = checkout.open_checkout(session.id).checkout_url
        session_id = session.id
        assert pay(checkout_url).status_code == 303  # returns once the server took the webhooks
        assert db.session.get(LiveSession, session_id).status == "confirmed"
    return session_id


def test_fan_reschedules_then_cancels_with_the_refund_shown_first(page, a11y, paid_session):
    sign_in(page, "fan@example.com")
    row = page.locator(f"li:has(#session-{paid_session}-title)")
    expect(row.locator(".tag")).to_have_text("Confirmed")
    old_title = row.locator("h3").inner_text()

    tab_to(page, row.get_by_role("link", name=re.compile("^Reschedule")))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Move your session")
    a11y.check(page, "reschedule")
    days = page.locator('input[type="radio"][name="day"]')
    tab_to(page, days.first)
    # The third day listed is two dates on at least, so its first time is more than 24 hours away
    # and the cancellation below is refunded in full whatever the hour the test runs.
    page.keyboard.press("ArrowRight")
    expect(days.nth(1)).to_be_checked()
    page.keyboard.press("ArrowRight")
    expect(days.nth(2)).to_be_checked()
    third_day = days.nth(2).get_attribute("value")
    expect(page.locator('#booking-slots input[name="day"]')).to_have_value(third_day)
    expect(page.locator("#booking-slots legend").first).to_contain_text("2. Choose a time on")
    tab_to(page, page.locator('input[name="start"]').first)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Move the session to this time"))
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text("The session was moved")
    row = page.locator(f"li:has(#session-{paid_session}-title)")
    expect(row.locator("h3")).not_to_have_text(old_title)
    a11y.check(page, "rescheduled")

    tab_to(page, row.get_by_role("link", name=re.compile("^Cancel")))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Cancel this session?")
    expect(page.get_by_role("status")).to_contain_text("Refund if you cancel now: EUR 15.00.")
    a11y.check(page, "cancel-quote")
    page.get_by_label(re.compile("^Reason")).fill("Travelling that week.")
    tab_to(page, page.get_by_role("button", name="Cancel the session"))
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text("A refund of EUR 15.00 is on its way.")
    row = page.locator(f"li:has(#session-{paid_session}-title)")
    expect(row.locator(".tag")).to_have_text("Cancelled")
    expect(row.locator(".refund-lines")).to_contain_text("Refund of EUR 15.00: refunded on")
    a11y.check(page, "cancelled")

    row.get_by_role("link", name=re.compile("^Receipt")).click()
    expect(page.locator(".refund-lines")).to_contain_text("EUR 15.00 granted")
    expect(page.locator(".refund-lines")).to_contain_text("refunded on")
    expect(page.get_by_text("Paid after refunds: EUR 0.00")).to_be_visible()
    a11y.check(page, "receipt-refunded")

    page.set_viewport_size(NARROW)
    a11y.check(page, "receipt-360")
    page.goto("/dashboard/")
    a11y.check(page, "dashboard-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the screen


@pytest.fixture
def new_player(live_app):
    """A verified player with a free 30-minute lesson and no hours yet; hidden from discovery after."""
    email = "pia.practice@example.com"
    with live_app.app_context():
        player = db.session.scalar(select(User).where(User.email == email))
        if player is None:
            player = accounts.register_user(email, DEMO_PASSWORD, "Pia Practice", "player", "Europe/Prague")
            admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
            profiles.update_profile(player, bio="Slow, patient lessons.", offerings=[OfferingInput(30, 0)])
            profiles.verify_player(admin, player.id)
        profiles.update_profile(player, accepts_bookings=True)
        player_id = player.id
    yield player_id
    with live_app.app_context():
        # Other tests count the demo players on the discovery page.
        profiles.update_profile(db.session.get(Profile, player_id).user, accepts_bookings=False)


def test_player_sets_availability_and_a_fan_sees_the_new_times(page, browser, base_url, a11y, new_player):
    with_day = (utcnow() + timedelta(days=3)).date().isoformat()
    fan = browser.new_context(base_url=base_url).new_page()
    sign_in(fan, "fan@example.com")
    fan.goto(f"/players/{new_player}/book?duration=30&from={with_day}&day={with_day}")
    expect(fan.locator("#booking-days")).to_contain_text("No open times")
    a11y.check(fan, "no-times")

    sign_in(page, "pia.practice@example.com")
    expect(page.locator("#lessons")).to_contain_text("No weekly hours yet")
    a11y.check(page, "player-dashboard")
    tab_to(page, page.get_by_role("link", name="Set your availability"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Your availability")
    a11y.check(page, "availability")

    # A mistake first: the end before the start is tied to its field and summed up at the top.
    page.get_by_label("Override 1: date").fill(with_day)
    page.get_by_label("Override 1: from (empty for a day off)").fill("16:00")
    page.get_by_label("Override 1: to").fill("14:00")
    page.get_by_role("button", name="Save availability").press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    invalid = page.locator('[aria-invalid="true"]').first
    described = invalid.get_attribute("aria-describedby")
    expect(page.locator(f"#{described}")).to_be_visible()
    a11y.check(page, "availability-error")

    page.get_by_label("Override 1: from (empty for a day off)").fill("14:00")
    page.get_by_label("Override 1: to").fill("16:00")
    page.get_by_label("Wednesday, window 1: from").fill("09:00")
    page.get_by_label("Wednesday, window 1: to").fill("11:00")
    page.get_by_role("button", name="Save availability").press("Enter")
    expect(page.locator(".flashes")).to_contain_text("Availability saved.")
    page.goto("/dashboard/")
    expect(page.locator("#lessons")).to_contain_text("Wednesday")
    expect(page.locator("#lessons")).to_contain_text("09:00–11:00")
    a11y.check(page, "player-dashboard-hours")
    page.set_viewport_size(NARROW)
    a11y.check(page, "player-dashboard-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    fan.reload()
    times = fan.locator('input[name="start"]')
    expect(times.first).to_be_visible()
    expect(fan.locator(f'label[for="{times.first.get_attribute("id")}"]')).to_contain_text("14:00")
    expect(fan.locator("#booking-slots legend").first).to_contain_text("Europe/Prague")
    a11y.check(fan, "new-times")
    fan.context.close()
