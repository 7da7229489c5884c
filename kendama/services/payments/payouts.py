"""Player payouts through Stripe Connect: the connected account, onboarding, and its state.

Accounts are created with controller properties equivalent to Express (Stripe-hosted onboarding
and dashboard; the platform pays Stripe's fees and carries losses). Reaching the onboarding's
return URL says nothing about the outcome: the state comes from the account itself, re-read from
Stripe and kept current by `account.updated`.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ...extensions import db
from ...integrations.stripe import gateway
from ...models import PayoutState, Profile, User
from ..accounts import profiles
from ..accounts.profiles import paid_offerings_allowed
from ..errors import ProviderUnavailable, WrongState
from ..notifications import outbox
from ..notifications.links import absolute_url

log = logging.getLogger(__name__)
UNAVAILABLE = "Stripe could not be reached just now. Please try again in a moment."


def _player_profile(user: User) -> Profile:
    return profiles.own_player_profile(user)


def payout_profile(player: User) -> Profile:
    """The player's payout state as last recorded (pages offer a fresh check with refresh_state)."""
    return _player_profile(player)


def start_onboarding(player: User) -> str:
    """A fresh Stripe-hosted onboarding link for the player (creating their account the first time)."""
    profile = _player_profile(player)
    if profile.payout_account_id is None:
        try:
            account = gateway.create_connected_account(
                email=player.email,
                metadata={"player_id": str(player.id)},
                # One account per player even when this call is retried after a lost answer.
                idempotency_key=f"connect-account-{player.id}",
            )
        except gateway.GatewayError as exc:
            log.warning("creating the connected account of player %s failed: %s", player.id, exc.message)
            raise ProviderUnavailable(UNAVAILABLE) from exc
        profile.payout_account_id = account["id"]
        _apply_state(profile, account)
        db.session.commit()
    try:
        link = gateway.create_account_link(
            account=profile.payout_account_id,
            refresh_url=absolute_url("payments.payouts_refresh"),
            return_url=absolute_url("payments.payouts_return"),
        )
    except gateway.GatewayError as exc:
        log.warning("creating an onboarding link for player %s failed: %s", player.id, exc.message)
        raise ProviderUnavailable(UNAVAILABLE) from exc
    return link["url"]


def dashboard_link(player: User) -> str:
    """A single-use link into the player's Stripe Express dashboard (payouts, balances)."""
    profile = _player_profile(player)
    _adopt_in_sandbox(profile)
    db.session.commit()
    if profile.payout_account_id is None or profile.payout_state == PayoutState.ONBOARDING:
        raise WrongState("Finish setting up payouts first.")
    try:
        return gateway.create_login_link(profile.payout_account_id)["url"]
    except gateway.GatewayError as exc:
        raise ProviderUnavailable(UNAVAILABLE) from exc


def refresh_state(player: User) -> Profile:
    """Re-read the player's account from Stripe (on the return from onboarding, or on request)."""
    profile = _player_profile(player)
    if profile.payout_account_id is None:
        return profile
    try:
        account = gateway.retrieve_account(profile.payout_account_id)
    except gateway.GatewayError as exc:
        raise ProviderUnavailable(UNAVAILABLE) from exc
    _apply_state(profile, account)
    db.session.commit()
    return profile


def reread_account(event: dict) -> dict:
    """account.updated: the account as it is now, since events can arrive out of order."""
    try:
        return gateway.retrieve_account(event["data"]["object"]["id"])
    except gateway.GatewayError as exc:
        raise ProviderUnavailable("Could not re-read the account; Stripe will send the event again.") from exc


def apply_account(account: dict) -> None:
    """Keep the player's payout state in step with their account (inside the webhook's transaction)."""
    profile = db.session.scalar(select(Profile).where(Profile.payout_account_id == account["id"]).with_for_update())
    if profile is not None:
        _apply_state(profile, account)


def payout_state(account: dict) -> PayoutState:
    """Charges enabled: ready. Details in but charges off: Stripe needs more. Else: still onboarding."""
    if account.get("charges_enabled"):
        return PayoutState.ENABLED
    if account.get("details_submitted"):
        return PayoutState.RESTRICTED
    return PayoutState.ONBOARDING


def _apply_state(profile: Profile, account: dict) -> None:
    could_charge = paid_offerings_allowed(profile)
    profile.charges_enabled = bool(account.get("charges_enabled"))
    profile.payouts_enabled = bool(account.get("payouts_enabled"))
    profile.payout_state = payout_state(account).value
    if could_charge and not paid_offerings_allowed(profile):
        due = (account.get("requirements") or {}).get("currently_due") or []
        outbox.queue(
            profile.user_id,
            "payouts_restricted",
            payload={"currently_due": list(due)[:10]},
            dedupe_key=f"payouts_restricted:{profile.user_id}:{account['id']}:{','.join(sorted(due))[:60]}",
        )


def can_take_charges(profile: Profile) -> bool:
    """A paid booking can be paid: charges are on, on a connected account our records name.

    With the offline sandbox a player marked ready gets an account on first use (_adopt_in_sandbox).
    """
    return paid_offerings_allowed(profile) and (profile.payout_account_id is not None or gateway.uses_sandbox())


def destination_account(player_id: int) -> str:
    """The connected account a paid booking's money goes to; refused while charges are off."""
    profile = db.session.get(Profile, player_id)
    if profile is None or not can_take_charges(profile):
        raise WrongState("This player cannot take payments right now.", code="payments_unavailable")
    _adopt_in_sandbox(profile)
    if profile.payout_account_id is None:
        raise WrongState("This player cannot take payments right now.", code="payments_unavailable")
    return profile.payout_account_id


def _adopt_in_sandbox(profile: Profile) -> None:
    """With the offline sandbox, give a player our records call ready a ready sandbox account.

    Demo data and test factories mark players ready without onboarding (and a sandbox file may be
    deleted); this makes the account real there, on first use, so destination charges and the
    dashboard link work as they would on Stripe. Nothing happens with a real Stripe key.
    """
    if not paid_offerings_allowed(profile) or not gateway.uses_sandbox():
        return
    account_id = gateway.ensure_sandbox_account(
        profile.payout_account_id, profile.user.email, profile.user.display_name
    )
    if account_id != profile.payout_account_id:
        profile.payout_account_id = account_id
