"""The Stripe adapter: the only module that imports `stripe`.

Every call goes through `stripe.StripeClient` and its `v1` services, so the very same code talks
to Stripe and to the offline sandbox (kendama/integrations/stripe/sandbox): only the API base
address and the keys differ. With STRIPE_SECRET_KEY set the sandbox is never used; without it
the sandbox is used where sandboxes are allowed, and production refuses. Results come back as
plain dicts, so the services never see a StripeObject.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import stripe
from flask import Flask, current_app

from .sandbox import config as sandbox_config


class GatewayError(Exception):
    """A call to Stripe failed; `retryable` says whether trying again later may succeed."""

    def __init__(self, message: str, *, retryable: bool, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code
        self.status = status


class PaymentsNotConfigured(GatewayError):
    """No Stripe key where the sandbox may not stand in (production, staging)."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False, code="not_configured")


class InvalidWebhook(Exception):
    """A webhook body that is unsigned, badly signed, stale or not an event."""


@dataclass(frozen=True)
class Settings:
    api_key: str
    api_base: str | None  # None: Stripe's own address
    webhook_secrets: tuple[str, ...]
    sandbox: bool
    transport: str  # "http", or "wsgi" for the sandbox served in-process


def settings() -> Settings:
    """Which Stripe to talk to, decided from the configuration on every call."""
    config = current_app.config
    key = config.get("STRIPE_SECRET_KEY")
    if key:
        secrets = tuple(
            s for s in (config.get("STRIPE_WEBHOOK_SECRET"), config.get("STRIPE_CONNECT_WEBHOOK_SECRET")) if s
        )
        return Settings(key, None, secrets, sandbox=False, transport="http")
    if not sandbox_config.enabled(current_app):
        raise PaymentsNotConfigured(
            "STRIPE_SECRET_KEY is not set. The offline Stripe sandbox is refused in this environment, "
            "so payments stay off until STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are configured."
        )
    return Settings(
        sandbox_config.API_KEY,
        sandbox_config.base_url(current_app),
        (sandbox_config.webhook_secret(current_app),),
        sandbox=True,
        transport=config.get("STRIPE_SANDBOX_TRANSPORT", "http"),
    )


def uses_sandbox() -> bool:
    """True when calls go to the offline sandbox (never with a real key or in production)."""
    try:
        return settings().sandbox
    except PaymentsNotConfigured:
        return False


class _InProcessHTTPClient(stripe.HTTPClient):
    """Hands the adapter's requests to this app's WSGI callable instead of a socket.

    Only for the sandbox in tests that run without a live server: the stripe library still
    encodes, signs and decodes everything; a fresh app context keeps the caller's `g` and
    database session apart from the sandbox request's.
    """

    name = "in-process"

    def __init__(self, app: Flask):
        super().__init__()
        self._app = app

    def request(self, method: str, url: str, headers, post_data=None):
        parts = urlsplit(url)
        with self._app.app_context():
            response = self._app.test_client().open(
                parts.path, method=method.upper(), query_string=parts.query, headers=dict(headers or {}), data=post_data
            )
        lowered = {name.lower(): value for name, value in response.headers.items()}
        return response.get_data(as_text=True), response.status_code, lowered

    def close(self) -> None:
        """Nothing to close: no connection is held."""


def _client(current: Settings) -> stripe.StripeClient:
    """One client per app and settings (the clients keep connection pools)."""
    app = current_app._get_current_object()
    cache: dict = app.extensions.setdefault("kendama.stripe_clients", {})
    cache_key = (current.api_key, current.api_base, current.transport)
    client = cache.get(cache_key)
    if client is None:
        if current.transport == "wsgi" and current.sandbox:
            http_client: stripe.HTTPClient = _InProcessHTTPClient(app)
        else:
            http_client = stripe.RequestsClient(timeout=app.config.get("STRIPE_TIMEOUT_SECONDS", 15))
        client = stripe.StripeClient(
            current.api_key,
            max_network_retries=2,
            base_addresses={"api": current.api_base} if current.api_base else None,
            http_client=http_client,
        )
        cache[cache_key] = client
    return client


def _call(operation: Callable[[stripe.StripeClient], Any]) -> dict:
    """Run one API call and turn Stripe's errors into GatewayError."""
    client = _client(settings())
    try:
        result = operation(client)
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise GatewayError(_message(exc), retryable=True, code=exc.code, status=exc.http_status) from exc
    except stripe.StripeError as exc:
        status = exc.http_status or 0
        raise GatewayError(
            _message(exc), retryable=status >= 500 or status == 409, code=exc.code, status=status
        ) from exc
    return result.to_dict()


def _message(exc: stripe.StripeError) -> str:
    return exc.user_message or str(exc) or exc.__class__.__name__


# --- Checkout -------------------------------------------------------------------------------


def create_checkout_session(
    *,
    amount: int,
    currency: str,
    product_name: str,
    description: str,
    success_url: str,
    cancel_url: str,
    reference: str,
    customer_email: str,
    metadata: dict[str, str],
    expires_at: datetime,
    application_fee_amount: int,
    destination: str,
    idempotency_key: str,
) -> dict:
    """A hosted Checkout Session for one payment, charged to the platform and sent on to `destination`."""
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": amount,
                    "product_data": {"name": product_name, "description": description},
                },
            }
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": reference,
        "customer_email": customer_email,
        "metadata": metadata,
        "expires_at": int(expires_at.timestamp()),
        "payment_intent_data": {
            "application_fee_amount": application_fee_amount,
            "transfer_data": {"destination": destination},
            "metadata": metadata,
        },
    }
    return _call(lambda c: c.v1.checkout.sessions.create(params=params, options={"idempotency_key": idempotency_key}))


def retrieve_checkout_session(checkout_session_id: str) -> dict:
    return _call(lambda c: c.v1.checkout.sessions.retrieve(checkout_session_id))


def expire_checkout_session(checkout_session_id: str) -> dict:
    """End an open Checkout Session early, so it can no longer be paid."""
    return _call(
        lambda c: c.v1.checkout.sessions.expire(
            checkout_session_id, options={"idempotency_key": f"expire-{checkout_session_id}"}
        )
    )


# --- Refunds --------------------------------------------------------------------------------


def create_refund(
    *,
    payment_intent: str,
    amount: int,
    reason: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> dict:
    """Refund part or all of a destination charge, taking back the transfer and fee in proportion."""
    params = {
        "payment_intent": payment_intent,
        "amount": amount,
        "reason": reason,
        "reverse_transfer": True,
        "refund_application_fee": True,
        "metadata": metadata,
    }
    return _call(lambda c: c.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key}))


def retrieve_refund(refund_id: str) -> dict:
    return _call(lambda c: c.v1.refunds.retrieve(refund_id))


# --- Connect --------------------------------------------------------------------------------

# Controller properties equivalent to an Express account: Stripe-hosted onboarding and
# dashboard, Stripe collects requirements, the platform pays Stripe's fees and covers losses.
EXPRESS_CONTROLLER = {
    "stripe_dashboard": {"type": "express"},
    "fees": {"payer": "application"},
    "losses": {"payments": "application"},
    "requirement_collection": "stripe",
}


def create_connected_account(*, email: str, metadata: dict[str, str], idempotency_key: str) -> dict:
    """A connected account that can receive transfers from destination charges."""
    params = {
        "email": email,
        "controller": EXPRESS_CONTROLLER,
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "metadata": metadata,
    }
    return _call(lambda c: c.v1.accounts.create(params=params, options={"idempotency_key": idempotency_key}))


def create_account_link(*, account: str, refresh_url: str, return_url: str) -> dict:
    """A single-use, short-lived link into Stripe-hosted onboarding."""
    params = {"account": account, "type": "account_onboarding", "refresh_url": refresh_url, "return_url": return_url}
    return _call(lambda c: c.v1.account_links.create(params=params))


def create_login_link(account: str) -> dict:
    """A single-use link into the account's Stripe-hosted (Express) dashboard."""
    return _call(lambda c: c.v1.accounts.login_links.create(account))


def retrieve_account(account: str) -> dict:
    return _call(lambda c: c.v1.accounts.retrieve(account))


def ensure_sandbox_account(account_id: str | None, email: str, name: str) -> str:
    """Sandbox only: the sandbox's ready account for a player our records call ready.

    Demo data and test factories mark players ready without going through onboarding; the
    sandbox's own test helper (which Stripe does not have) makes their account real there, under
    the same id, so destination charges work.
    """
    if not uses_sandbox():
        raise PaymentsNotConfigured("Sandbox accounts exist only when the offline sandbox is in use.")
    params = {
        "email": email,
        **({"id": account_id} if account_id else {}),
        **({"name": name} if name is not None else {}),
    }
    account = _call(
        lambda c: c.deserialize(c.raw_request("post", "/v1/test_helpers/accounts/provision", **params), api_mode="V1")
    )
    return account["id"]


# --- Webhooks -------------------------------------------------------------------------------


def construct_event(payload: bytes, signature_header: str | None) -> dict:
    """The verified event of a webhook body (signature and age checked), or InvalidWebhook."""
    current = settings()
    if not current.webhook_secrets:
        raise InvalidWebhook("No webhook signing secret is configured (STRIPE_WEBHOOK_SECRET).")
    if not signature_header:
        raise InvalidWebhook("The Stripe-Signature header is missing.")
    client = _client(current)
    for secret in current.webhook_secrets:
        try:
            return client.construct_event(payload, signature_header, secret).to_dict()
        except stripe.SignatureVerificationError:
            continue
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook("The webhook body is not a Stripe event.") from exc
    raise InvalidWebhook("The webhook signature does not match, or it is too old.")
