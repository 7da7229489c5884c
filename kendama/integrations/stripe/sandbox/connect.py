"""What the simulated Stripe does for Connect: accounts, account and login links, onboarding.

Each function works inside one store transaction and records the events Stripe would send;
what Stripe keeps out of an object's JSON (link targets) is kept as private data.
"""

from __future__ import annotations

from .params import ApiError, boolean, metadata, one_of, required, url
from .store import Tx, new_id, now

ACCOUNT_LINK_SECONDS = 300
ONBOARDING_REQUIREMENTS = ["business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip"]

CONTROLLER_CHOICES = {
    "stripe_dashboard.type": ("express", "full", "none"),
    "fees.payer": ("account", "application"),
    "losses.payments": ("application", "stripe"),
    "requirement_collection": ("application", "stripe"),
}


def _controller(params: dict) -> dict:
    raw = params.get("controller") or {}
    if params.get("type"):
        # Legacy account types map to controller properties the way Stripe documents it.
        legacy = one_of(params["type"], "type", ["express", "standard", "custom"])
        raw = {
            "express": {
                "stripe_dashboard": {"type": "express"},
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "requirement_collection": "stripe",
            },
            "standard": {
                "stripe_dashboard": {"type": "full"},
                "fees": {"payer": "account"},
                "losses": {"payments": "stripe"},
                "requirement_collection": "stripe",
            },
            "custom": {
                "stripe_dashboard": {"type": "none"},
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "requirement_collection": "application",
            },
        }[legacy]
    controller = {
        "stripe_dashboard": {"type": (raw.get("stripe_dashboard") or {}).get("type", "full")},
        "fees": {"payer": (raw.get("fees") or {}).get("payer", "account")},
        "losses": {"payments": (raw.get("losses") or {}).get("payments", "stripe")},
        "requirement_collection": raw.get("requirement_collection", "stripe"),
    }
    for dotted, allowed in CONTROLLER_CHOICES.items():
        head, _, tail = dotted.partition(".")
        value = controller[head][tail] if tail else controller[head]
        one_of(value, f"controller[{head}]" + (f"[{tail}]" if tail else ""), allowed)
    if controller["stripe_dashboard"]["type"] == "express" and controller["requirement_collection"] != "stripe":
        raise ApiError(
            400, "Accounts with the Express Dashboard need requirement_collection=stripe.", param="controller"
        )
    if controller["fees"]["payer"] == "account" and controller["losses"]["payments"] != "stripe":
        raise ApiError(400, "When fees[payer] is account, losses[payments] must be stripe.", param="controller")
    return {**controller, "is_controller": True, "type": "application"}


def create_account(tx: Tx, params: dict, account_id: str | None = None) -> dict:
    controller = _controller(params)
    requested = params.get("capabilities") or {}
    capabilities = {
        name: "inactive"
        for name, wanted in requested.items()
        if boolean((wanted or {}).get("requested"), f"capabilities[{name}][requested]")
    }
    account = {
        "id": account_id or new_id("acct"),
        "object": "account",
        "business_profile": {"name": None},
        "capabilities": capabilities,
        "charges_enabled": False,
        "controller": controller,
        "country": params.get("country", "US"),
        "created": now(),
        "default_currency": "usd",
        "details_submitted": False,
        "email": params.get("email"),
        "metadata": metadata(params.get("metadata")),
        "payouts_enabled": False,
        "requirements": {
            "currently_due": list(ONBOARDING_REQUIREMENTS),
            "eventually_due": list(ONBOARDING_REQUIREMENTS),
            "past_due": list(ONBOARDING_REQUIREMENTS),
            "disabled_reason": "requirements.past_due",
        },
        "type": "express" if controller["stripe_dashboard"]["type"] == "express" else "none",
    }
    tx.put(account)
    return account


def account(tx: Tx, account_id: str) -> dict:
    found = tx.get(account_id, "account")
    if found is None:
        raise ApiError(
            403 if account_id.startswith("acct_") else 404,
            f"The provided key does not have access to account '{account_id}' (or that account does not exist).",
            error_type="invalid_request_error",
            code="account_invalid",
        )
    return found[0]


def create_account_link(tx: Tx, params: dict, base: str) -> dict:
    account_id = required(params, "account")
    account(tx, account_id)
    one_of(required(params, "type"), "type", ["account_onboarding", "account_update"])
    refresh_url = url(required(params, "refresh_url"), "refresh_url")
    return_url = url(required(params, "return_url"), "return_url")
    moment = now()
    token = new_id("link")
    link = {
        "object": "account_link",
        "created": moment,
        "expires_at": moment + ACCOUNT_LINK_SECONDS,
        "url": f"{base}/connect/onboarding/{token}",
    }
    # Kept under the token; links are not objects with ids in Stripe's API.
    tx.put(
        {"id": token, "object": "sandbox.account_link", "created": moment},
        {
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "expires_at": link["expires_at"],
            "used": False,
            "form_token": None,
        },
    )
    return link


def open_account_link(tx: Tx, token: str, form_token: str) -> dict | None:
    """Use a link once: its private data (account, URLs) when it is fresh, else None (go to refresh_url)."""
    found = tx.get(token, "sandbox.account_link")
    if found is None:
        return None
    record, private = found
    if private["used"] or private["expires_at"] <= now():
        return {**private, "valid": False}
    private = {**private, "used": True, "form_token": form_token}
    tx.put(record, private)
    return {**private, "valid": True}


def link_for_form(tx: Tx, token: str, form_token: str) -> dict | None:
    """The opened link whose onboarding form carries this token (a form may be sent once)."""
    found = tx.get(token, "sandbox.account_link")
    if found is None or not form_token or found[1].get("form_token") != form_token:
        return None
    record, private = found
    tx.put(record, {**private, "form_token": None})
    return private


ONBOARDING_OUTCOMES = ("complete", "verification_failed", "later")


def finish_onboarding(tx: Tx, account_id: str, outcome: str) -> dict:
    """Apply what the person did on the onboarding page, and tell the platform (account.updated)."""
    current = account(tx, account_id)
    if outcome == "later":
        return current
    if outcome == "complete":
        updated = {
            **current,
            "details_submitted": True,
            "charges_enabled": True,
            "payouts_enabled": True,
            "capabilities": {name: "active" for name in current["capabilities"]} or {"transfers": "active"},
            "requirements": {"currently_due": [], "eventually_due": [], "past_due": [], "disabled_reason": None},
        }
    else:
        due = ["individual.verification.document"]
        updated = {
            **current,
            "details_submitted": True,
            "charges_enabled": False,
            "payouts_enabled": False,
            "capabilities": {name: "inactive" for name in current["capabilities"]},
            "requirements": {
                "currently_due": due,
                "eventually_due": due,
                "past_due": due,
                "disabled_reason": "requirements.past_due",
            },
        }
    tx.put(updated)
    tx.emit("account.updated", updated, account=account_id)
    return updated


def ensure_enabled_account(tx: Tx, account_id: str | None, email: str, name: str | None) -> dict:
    """The account under `account_id` as it is, or a new one that has finished onboarding (under that id if given)."""
    if account_id:
        found = tx.get(account_id, "account")
        if found is not None:
            return found[0]
    return provision_enabled_account(tx, email, name, account_id)


def provision_enabled_account(tx: Tx, email: str, name: str | None, account_id: str | None = None) -> dict:
    """An Express-like account that has finished onboarding (demo data and tests), under a given id if asked."""
    created = create_account(
        tx,
        {
            "email": email,
            "controller": {
                "stripe_dashboard": {"type": "express"},
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "requirement_collection": "stripe",
            },
            "capabilities": {"card_payments": {"requested": "true"}, "transfers": {"requested": "true"}},
            "metadata": {"provisioned_by": "sandbox"},
        },
        account_id,
    )
    enabled = {
        **created,
        "business_profile": {"name": name},
        "details_submitted": True,
        "charges_enabled": True,
        "payouts_enabled": True,
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "requirements": {"currently_due": [], "eventually_due": [], "past_due": [], "disabled_reason": None},
    }
    tx.put(enabled)
    return enabled


def create_login_link(tx: Tx, account_id: str, base: str) -> dict:
    current = account(tx, account_id)
    if current["controller"]["stripe_dashboard"]["type"] != "express":
        raise ApiError(400, "Login links are only for accounts that use the Express Dashboard.", param="account")
    if not current["details_submitted"]:
        raise ApiError(400, "This account has not finished onboarding yet.", param="account")
    token = new_id("login")
    moment = now()
    tx.put(
        {"id": token, "object": "sandbox.login_link", "created": moment},
        {"account": account_id, "expires_at": moment + ACCOUNT_LINK_SECONDS, "used": False},
    )
    return {"object": "login_link", "created": moment, "url": f"{base}/express/{token}"}


def open_login_link(tx: Tx, token: str) -> str | None:
    """The account a fresh, unused login link opens (then the link is spent)."""
    found = tx.get(token, "sandbox.login_link")
    if found is None:
        return None
    record, private = found
    if private["used"] or private["expires_at"] <= now():
        return None
    tx.put(record, {**private, "used": True})
    return private["account"]


def account_activity(tx: Tx, account_id: str) -> list[dict]:
    """Transfers to an account, newest first (the Express dashboard page shows them)."""
    transfers = [t for t, _ in tx.find("transfer") if t["destination"] == account_id]
    return sorted(transfers, key=lambda t: t["created"], reverse=True)
