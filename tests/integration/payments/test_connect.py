"""Player payouts through Stripe Connect, against the sandbox: account, onboarding states, account.updated."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import Notification, Profile
from kendama.services.accounts import profiles
from kendama.services.errors import InvalidInput, WrongState
from kendama.services.payments import payouts

from ...support.factories import PlayerFactory
from ...support.payments_helpers import Browser, fresh, sandbox_object, wait_for

pytestmark = [pytest.mark.committed, pytest.mark.both_databases]


def onboard(link: str, outcome: str) -> requests.Response:
    """Open a single-use onboarding link and finish it the way the player chooses."""
    page = requests.get(link, allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.status_code
    assert 'type="radio"' in page.text and "<legend>" in page.text
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
    return requests.post(link, data={"form_token": token, "outcome": outcome}, allow_redirects=False, timeout=10)


def test_onboarding_creates_an_express_like_account_and_return_does_not_mean_done(live):
    player = PlayerFactory()
    link = payouts.start_onboarding(player)
    profile = fresh(Profile, player.id)
    assert profile.payout_state == "onboarding" and not profile.charges_enabled
    account = sandbox_object(live, profile.payout_account_id)
    assert account["controller"]["stripe_dashboard"] == {"type": "express"}
    assert account["controller"]["fees"] == {"payer": "application"}
    assert account["controller"]["losses"] == {"payments": "application"}
    assert account["controller"]["requirement_collection"] == "stripe"
    assert set(account["capabilities"]) == {"card_payments", "transfers"}

    response = onboard(link, "later")
    assert response.status_code == 303 and response.headers["Location"] == f"{live.url}/dashboard/payouts/return"
    browser = Browser(live).login(player)
    back = browser.get("/dashboard/payouts/return")
    assert back.status_code == 303
    assert "not finished yet" in browser.get("/dashboard/payouts").text
    assert fresh(Profile, player.id).payout_state == "onboarding"

    # A second start reuses the account: one player, one connected account.
    payouts.start_onboarding(fresh(Profile, player.id).user)
    assert fresh(Profile, player.id).payout_account_id == account["id"]


def test_a_used_link_sends_the_player_to_refresh_for_a_new_one(live):
    player = PlayerFactory()
    link = payouts.start_onboarding(player)
    assert requests.get(link, allow_redirects=False, timeout=10).status_code == 200
    again = requests.get(link, allow_redirects=False, timeout=10)
    assert again.status_code == 303 and again.headers["Location"] == f"{live.url}/dashboard/payouts/refresh"
    browser = Browser(live).login(player)
    back = browser.get("/dashboard/payouts/refresh")
    assert back.status_code == 303 and back.headers["Location"].endswith("/dashboard/payouts")
    assert (
        "set-up link expired or was already used. The button below asks Stripe for a new one"
        in browser.get("/dashboard/payouts").text
    )
    fresh_link = browser.submit("/dashboard/payouts", "/dashboard/payouts/onboarding")
    assert fresh_link.status_code == 303
    assert fresh_link.headers["Location"] != link and "/connect/onboarding/" in fresh_link.headers["Location"]


def test_completed_onboarding_enables_charges_by_webhook_and_unlocks_paid_offerings(live):
    player = PlayerFactory()
    with pytest.raises(InvalidInput):
        profiles.update_profile(player, offerings=[profiles.OfferingInput(30, 2500)])
    assert onboard(payouts.start_onboarding(player), "complete").status_code == 303
    # account.updated arrived before the player came back to the return URL.
    profile = wait_for(lambda: db.session.get(Profile, player.id).payout_state == "enabled")
    assert profile
    profile = fresh(Profile, player.id)
    assert profile.charges_enabled and profile.payouts_enabled
    profiles.update_profile(profile.user, offerings=[profiles.OfferingInput(30, 2500)])
    assert [o.price_amount for o in fresh(Profile, player.id).offerings] == [2500]

    dashboard = Browser(live).login(profile.user)
    link = dashboard.submit("/dashboard/payouts", "/dashboard/payouts/stripe-dashboard")
    assert link.status_code == 303 and "/_sandbox/stripe/express/" in link.headers["Location"]
    assert "Payouts dashboard" in requests.get(link.headers["Location"], timeout=10).text


def test_failed_verification_restricts_the_account_and_tells_the_player(live):
    player = PlayerFactory()
    onboard(payouts.start_onboarding(player), "complete")
    assert wait_for(lambda: db.session.get(Profile, player.id).payout_state == "enabled")
    onboard(payouts.start_onboarding(fresh(Profile, player.id).user), "verification_failed")
    assert wait_for(lambda: db.session.get(Profile, player.id).payout_state == "restricted")
    profile = fresh(Profile, player.id)
    assert not profile.charges_enabled and not profiles.paid_offerings_allowed(profile)
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == player.id))
    assert "payouts_restricted" in set(kinds)


def test_the_payouts_page_starts_onboarding_with_a_form(live):
    player = PlayerFactory()
    browser = Browser(live).login(player)
    page = browser.get("/dashboard/payouts")
    assert page.status_code == 200 and "Set up payouts with Stripe" in page.text
    response = browser.submit("/dashboard/payouts", "/dashboard/payouts/onboarding")
    assert response.status_code == 303 and "/_sandbox/stripe/connect/onboarding/" in response.headers["Location"]
    assert "Payouts and earnings" in browser.get("/dashboard/").text


def test_fans_have_no_payouts(live):
    from ...support.factories import FanFactory

    fan = FanFactory()
    assert Browser(live).login(fan).get("/dashboard/payouts").status_code == 403
    with pytest.raises(WrongState):
        payouts.dashboard_link(PlayerFactory())
