"""Payout rules without Stripe: the state an account means, what changes with it, where money goes.

Stripe's calls are replaced by recorders; the adapter over HTTP is tested in
tests/integration/payments/test_connect.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.integrations.stripe import gateway
from kendama.models import Notification, PayoutState, Profile
from kendama.services.access import PLAYERS_ONLY
from kendama.services.errors import NotAllowed, ProviderUnavailable, WrongState
from kendama.services.payments import payouts

from ..support.factories import FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

ENABLED = {"id": "acct_1", "charges_enabled": True, "payouts_enabled": True, "details_submitted": True}


class Calls(list):
    """Stripe's Connect calls made, in order, as (name, arguments)."""

    def __init__(self, monkeypatch):
        super().__init__()
        self.monkeypatch = monkeypatch

    def answer(self, name: str, answer) -> None:
        """Make gateway.`name` record its call and return `answer` (called with the arguments, or raised)."""

        def call(*args, **kwargs):
            self.append((name, {"args": args, **kwargs}))
            if isinstance(answer, Exception):
                raise answer
            return answer(*args, **kwargs) if callable(answer) else answer

        self.monkeypatch.setattr(gateway, name, call)


@pytest.fixture
def calls(monkeypatch):
    """Stripe's Connect calls, answered and recorded; no sandbox account is adopted."""
    seen = Calls(monkeypatch)
    monkeypatch.setattr(gateway, "uses_sandbox", lambda: False)
    seen.answer("create_connected_account", {"id": "acct_new", "details_submitted": False})
    seen.answer("create_account_link", {"url": "https://connect.example/onboard"})
    seen.answer("create_login_link", {"url": "https://connect.example/dashboard"})
    seen.answer("retrieve_account", lambda account_id: {**ENABLED, "id": account_id})
    return seen


def profile_of(player) -> Profile:
    return db.session.get(Profile, player.id)


def restricted_notices(player) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == player.id, Notification.kind == "payouts_restricted")
    return list(db.session.scalars(query))


@pytest.mark.parametrize(
    ("account", "state"),
    [
        ({"charges_enabled": True, "details_submitted": True}, PayoutState.ENABLED),
        ({"charges_enabled": True}, PayoutState.ENABLED),
        ({"charges_enabled": False, "details_submitted": True}, PayoutState.RESTRICTED),
        ({"details_submitted": False}, PayoutState.ONBOARDING),
        ({}, PayoutState.ONBOARDING),
    ],
)
def test_what_an_account_means(account, state):
    assert payouts.payout_state(account) is state


def test_an_account_update_records_the_state_on_the_players_profile():
    player = PlayerFactory()
    profile = profile_of(player)
    profile.payout_account_id = "acct_1"
    db.session.commit()
    payouts.apply_account({"id": "acct_1", "charges_enabled": True, "payouts_enabled": False})
    assert (profile.charges_enabled, profile.payouts_enabled, profile.payout_state) == (True, False, "enabled")
    payouts.apply_account({"id": "acct_1", "details_submitted": True})
    assert (profile.charges_enabled, profile.payouts_enabled, profile.payout_state) == (False, False, "restricted")
    payouts.apply_account({**ENABLED, "id": "acct_other"})  # nobody's account here: nothing changes
    assert profile.payout_state == "restricted"


def test_a_player_who_loses_charges_is_told_what_stripe_needs_once():
    player = PlayerFactory(setup__paid=True)
    profile = profile_of(player)
    due = [f"field_{n:02}" for n in range(12)]
    account = {"id": profile.payout_account_id, "details_submitted": True, "requirements": {"currently_due": due}}
    payouts.apply_account(account)
    db.session.commit()
    (notice,) = restricted_notices(player)
    assert notice.payload == {"currently_due": due[:10]}
    payouts.apply_account({**account, "charges_enabled": True})
    payouts.apply_account(account)  # the same loss again: the same notice, not a second one
    db.session.commit()
    assert len(restricted_notices(player)) == 1


def test_losing_charges_with_nothing_due_still_tells_the_player():
    player = PlayerFactory(setup__paid=True)
    payouts.apply_account({"id": profile_of(player).payout_account_id, "requirements": None})
    db.session.commit()
    assert [n.payload for n in restricted_notices(player)] == [{"currently_due": []}]


def test_a_player_who_never_could_charge_is_not_told():
    player = PlayerFactory()
    profile = profile_of(player)
    profile.payout_account_id = "acct_1"
    payouts.apply_account({"id": "acct_1", "details_submitted": True, "requirements": {"currently_due": ["x"]}})
    db.session.commit()
    assert restricted_notices(player) == []


def test_a_paid_booking_goes_to_the_players_account_only_while_charges_are_on(calls):
    player = PlayerFactory(setup__paid=True)
    assert payouts.destination_account(player.id) == f"acct_test{player.id}"
    profile_of(player).charges_enabled = False
    with pytest.raises(WrongState) as off:
        payouts.destination_account(player.id)
    assert (off.value.code, off.value.message) == (
        "payments_unavailable",
        "This player cannot take payments right now.",
    )
    with pytest.raises(WrongState):
        payouts.destination_account(FanFactory().id)  # no profile at all


def test_a_ready_profile_without_an_account_takes_no_payment(calls):
    player = PlayerFactory(setup__paid=True)
    profile_of(player).payout_account_id = None
    with pytest.raises(WrongState) as caught:
        payouts.destination_account(player.id)
    assert (caught.value.code, caught.value.message) == (
        "payments_unavailable",
        "This player cannot take payments right now.",
    )


def test_with_the_sandbox_a_ready_player_gets_a_real_sandbox_account(calls, monkeypatch):
    player = PlayerFactory(setup__paid=True)
    monkeypatch.setattr(gateway, "uses_sandbox", lambda: True)
    calls.answer("ensure_sandbox_account", "acct_sandbox")
    assert payouts.destination_account(player.id) == "acct_sandbox"
    assert calls[-1] == (
        "ensure_sandbox_account",
        {"args": (f"acct_test{player.id}", player.email, player.display_name)},
    )


def test_onboarding_creates_one_account_per_player_then_links_to_stripe(calls):
    player = PlayerFactory()
    assert payouts.start_onboarding(player) == "https://connect.example/onboard"
    profile = profile_of(player)
    assert (profile.payout_account_id, profile.payout_state) == ("acct_new", "onboarding")
    created = calls[0][1]
    assert (created["email"], created["metadata"], created["idempotency_key"]) == (
        player.email,
        {"player_id": str(player.id)},
        f"connect-account-{player.id}",
    )
    link = calls[1][1]
    assert link["account"] == "acct_new"
    assert link["refresh_url"].endswith("/payouts/refresh") and link["return_url"].endswith("/payouts/return")
    payouts.start_onboarding(player)  # again: a new link to the same account
    assert [name for name, _ in calls] == ["create_connected_account", "create_account_link", "create_account_link"]


@pytest.mark.parametrize(
    ("failing", "logged"),
    [
        ("create_connected_account", "creating the connected account of player {} failed: timeout"),
        ("create_account_link", "creating an onboarding link for player {} failed: timeout"),
    ],
)
def test_stripe_down_during_onboarding_is_a_clear_503_logged_with_the_player(calls, caplog, failing, logged):
    calls.answer(failing, gateway.GatewayError("timeout", retryable=True))
    player = PlayerFactory()
    with pytest.raises(ProviderUnavailable) as caught, caplog.at_level("WARNING", logger=payouts.log.name):
        payouts.start_onboarding(player)
    assert caught.value.message == payouts.UNAVAILABLE
    assert [r.getMessage() for r in caplog.records] == [logged.format(player.id)]


def test_refreshing_rereads_the_account_and_without_one_asks_nothing(calls):
    player = PlayerFactory()
    assert payouts.refresh_state(player).payout_state == "none"
    assert calls == []
    profile_of(player).payout_account_id = "acct_9"
    profile = payouts.refresh_state(player)
    assert (profile.payout_state, profile.charges_enabled, profile.payouts_enabled) == ("enabled", True, True)
    assert calls == [("retrieve_account", {"args": ("acct_9",)})]
    calls.answer("retrieve_account", gateway.GatewayError("down", retryable=True))
    with pytest.raises(ProviderUnavailable) as down:
        payouts.refresh_state(player)
    assert down.value.message == payouts.UNAVAILABLE


def test_the_dashboard_link_needs_an_account_past_onboarding(calls):
    player = PlayerFactory()
    with pytest.raises(WrongState) as none:
        payouts.dashboard_link(player)
    assert none.value.message == "Finish setting up payouts first."
    profile = profile_of(player)
    profile.payout_account_id, profile.payout_state = "acct_2", "onboarding"
    with pytest.raises(WrongState):
        payouts.dashboard_link(player)
    profile.payout_state = "restricted"
    assert payouts.dashboard_link(player) == "https://connect.example/dashboard"
    assert calls[-1] == ("create_login_link", {"args": ("acct_2",)})
    calls.answer("create_login_link", gateway.GatewayError("down", retryable=True))
    with pytest.raises(ProviderUnavailable) as down:
        payouts.dashboard_link(player)
    assert down.value.message == payouts.UNAVAILABLE


def test_an_account_event_is_reread_from_stripe(calls):
    assert payouts.reread_account({"data": {"object": {"id": "acct_5"}}})["id"] == "acct_5"
    calls.answer("retrieve_account", gateway.GatewayError("down", retryable=True))
    with pytest.raises(ProviderUnavailable) as caught:
        payouts.reread_account({"data": {"object": {"id": "acct_5"}}})
    assert caught.value.message == "Could not re-read the account; Stripe will send the event again."


def test_only_players_have_payouts(calls):
    with pytest.raises(NotAllowed) as caught:
        payouts.payout_profile(FanFactory())
    assert caught.value.message == PLAYERS_ONLY
    assert payouts.payout_profile(PlayerFactory()).payout_state == "none"


def test_requirement_lists_alike_in_their_first_60_characters_give_one_notice():
    """The notice's dedupe key keeps the sorted requirements to 60 characters."""
    player = PlayerFactory(setup__paid=True)
    account_id = profile_of(player).payout_account_id
    for last in ("a", "b"):
        payouts.apply_account({"id": account_id, "charges_enabled": True})
        payouts.apply_account({"id": account_id, "requirements": {"currently_due": ["x" * 60 + last]}})
    db.session.commit()
    assert len(restricted_notices(player)) == 1
    payouts.apply_account({"id": account_id, "charges_enabled": True})
    payouts.apply_account({"id": account_id, "requirements": {"currently_due": ["y"]}})
    db.session.commit()
    assert len(restricted_notices(player)) == 2
