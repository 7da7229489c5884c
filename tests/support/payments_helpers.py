"""Helpers for payments tests: held bookings, paying on the sandbox's page, reading what happened."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from itertools import count
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import select

from kendama.extensions import db
from kendama.integrations.stripe.sandbox import config as sandbox_config
from kendama.integrations.stripe.sandbox import delivery, store
from kendama.models import LiveSession, Payment, Refund, utcnow
from kendama.services.payments.money import split_price

from .factories import PASSWORD, FanFactory, LiveSessionFactory, PlayerFactory

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
REFUND_FAILS_CARD = "4000 0000 0000 5126"
_days = count(2)


def sandbox_path(server) -> str:
    return sandbox_config.database_path(server.app)


def held_session(
    *, price: int = 2500, currency: str = "usd", hold_minutes: int = 30, player=None, fan=None, **fields
) -> LiveSession:
    """A paid booking holding its slot, as the booking service leaves it before Checkout."""
    player = player or PlayerFactory(setup__paid=True, setup__price=price, setup__currency=currency)
    split = split_price(price)
    start = (utcnow() + timedelta(days=next(_days))).replace(hour=10, minute=0, second=0, microsecond=0)
    values = {
        "fan": fan or FanFactory(),
        "player": player,
        "starts_at": start,
        "status": "pending_payment",
        "price_amount": price,
        "currency": currency,
        "platform_fee_amount": split.platform_fee,
        "player_share_amount": split.player_share,
        "hold_expires_at": utcnow() + timedelta(minutes=hold_minutes),
        **fields,
    }
    return LiveSessionFactory(**values)


def pay(checkout_url: str, card: str = GOOD_CARD, name: str = "Finn Fan") -> requests.Response:
    """Fill in the sandbox's hosted checkout page as a fan would (no redirects followed).

    The sandbox sends the webhook before it redirects, unless another delivery run has already
    picked the event up; either way this returns once the app has taken the event.
    """
    response = requests.post(
        checkout_url,
        data={"card_number": card, "card_expiry": "12 / 34", "card_cvc": "123", "cardholder_name": name},
        allow_redirects=False,
        timeout=30,
    )
    checkout_id = urlsplit(checkout_url).path.rsplit("/", 1)[-1]
    assert wait_for(lambda: events_settled(checkout_id)), f"events of {checkout_id} were not delivered"
    return response


def events_settled(object_id: str) -> bool:
    """Every sandbox event about this object has been accepted by the app."""
    path = sandbox_config.database_path(current_app)
    return all(e["delivered"] for e in store.events(path) if e["event"]["data"]["object"].get("id") == object_id)


def wait_for(check, timeout: float = 10.0):
    """Poll until `check()` is truthy: webhooks go out after the API call that caused them returns."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def fresh(model, object_id):
    """The row as it is in the database now (other threads wrote it)."""
    db.session.rollback()
    return db.session.get(model, object_id)


def session_payments(session_id: int) -> list[Payment]:
    db.session.rollback()
    return list(db.session.scalars(select(Payment).where(Payment.session_id == session_id).order_by(Payment.id)))


def session_refunds(session_id: int) -> list[Refund]:
    db.session.rollback()
    return list(db.session.scalars(select(Refund).where(Refund.session_id == session_id).order_by(Refund.id)))


def sandbox_object(server, object_id: str) -> dict | None:
    return store.get_object(sandbox_path(server), object_id)


def delivered_events(server, event_type: str) -> list[dict]:
    return [e["event"] for e in store.events(sandbox_path(server), event_type=event_type)]


def post_signed(server, body: str) -> requests.Response:
    """Send a webhook body to the app signed with the sandbox's secret, as the sandbox would."""
    secret = store.webhook_secret(sandbox_path(server))
    headers = {"Content-Type": "application/json", "Stripe-Signature": delivery.signature_header(secret, body)}
    return requests.post(f"{server.url}/webhooks/stripe", data=body, headers=headers, timeout=10)


class Browser(requests.Session):
    """A person using the live site over HTTP (cookies, CSRF tokens from the pages)."""

    def __init__(self, server):
        super().__init__()
        self.base = server.url

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 30)
        return super().request(method, url if url.startswith("http") else self.base + url, *args, **kwargs)

    def get(self, url, **kwargs):
        """No redirects followed unless asked: tests look at each 303."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("GET", url, **kwargs)

    def post(self, url, data=None, json=None, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        return self.request("POST", url, data=data, json=json, **kwargs)

    def login(self, user) -> Browser:
        token = csrf_from(self.get("/login").text)
        response = self.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 303, response.text[:500]
        return self

    def submit(self, page_path: str, action: str, data: dict | None = None) -> requests.Response:
        """Post a form found on `page_path`, with that page's CSRF token."""
        token = csrf_from(self.get(page_path).text)
        return self.post(action, data={"csrf_token": token, **(data or {})})


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
