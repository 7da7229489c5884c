"""What the simulated Stripe does with money: Checkout Sessions, destination charges, refunds.

Each function works inside one store transaction and records the events Stripe would send.
Objects have Stripe's shape (the fields the adapter and the app read); what Stripe keeps out of
an object's JSON (line items, the payment intent's settings) is kept as private data. Connected
accounts, their links and onboarding are in connect.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .cards import CardOutcome
from .params import ApiError, boolean, decode_form, integer, metadata, one_of, required, url
from .store import Tx, new_id, now

CHECKOUT_MIN_SECONDS = 30 * 60
CHECKOUT_MAX_SECONDS = 24 * 60 * 60


def proportion(total: int, part: int, whole: int) -> int:
    """`total * part / whole` rounded half up (how the sandbox splits fee and transfer reversals)."""
    if whole <= 0:
        return 0
    return (2 * total * part + whole) // (2 * whole)


def _missing(kind: str, object_id: str, param: str = "id") -> ApiError:
    return ApiError(404, f"No such {kind}: '{object_id}'", param=param, code="resource_missing")


def parse(form_items) -> dict:
    return decode_form(form_items)


# --- Checkout Sessions ----------------------------------------------------------------------


def create_checkout_session(tx: Tx, params: dict, base: str) -> dict:
    one_of(required(params, "mode"), "mode", ["payment"])
    line_items = required(params, "line_items")
    if not isinstance(line_items, list) or not line_items:
        raise ApiError(400, "line_items must be a non-empty list.", param="line_items")
    currency, total, items = None, 0, []
    for index, item in enumerate(line_items):
        prefix = f"line_items[{index}]"
        price_data = required(item, "price_data", f"{prefix}[price_data]")
        item_currency = str(required(price_data, "currency", f"{prefix}[price_data][currency]")).lower()
        if len(item_currency) != 3 or (currency and item_currency != currency):
            raise ApiError(400, "All line items must use one valid currency.", param=f"{prefix}[price_data][currency]")
        currency = item_currency
        unit_amount = integer(
            required(price_data, "unit_amount", f"{prefix}[price_data][unit_amount]"),
            f"{prefix}[price_data][unit_amount]",
        )
        quantity = integer(item.get("quantity", 1), f"{prefix}[quantity]", minimum=1)
        product = required(price_data, "product_data", f"{prefix}[price_data][product_data]")
        name = required(product, "name", f"{prefix}[price_data][product_data][name]")
        total += unit_amount * quantity
        items.append(
            {"name": name, "description": product.get("description"), "unit_amount": unit_amount, "quantity": quantity}
        )

    moment = now()
    expires_at = integer(params.get("expires_at", moment + CHECKOUT_MAX_SECONDS), "expires_at")
    if not moment + CHECKOUT_MIN_SECONDS <= expires_at <= moment + CHECKOUT_MAX_SECONDS:
        raise ApiError(
            400,
            "The expires_at timestamp must be between 30 minutes and 24 hours after the Checkout Session is created.",
            param="expires_at",
        )
    intent_data = params.get("payment_intent_data") or {}
    fee = integer(intent_data.get("application_fee_amount", 0), "payment_intent_data[application_fee_amount]")
    destination = (intent_data.get("transfer_data") or {}).get("destination")
    if fee > total:
        raise ApiError(
            400,
            "The application fee cannot be greater than the amount.",
            param="payment_intent_data[application_fee_amount]",
        )
    if fee and not destination:
        raise ApiError(
            400,
            "An application fee needs a destination: set payment_intent_data[transfer_data][destination].",
            param="payment_intent_data[application_fee_amount]",
        )
    if destination:
        _require_transfers(tx, destination)
    reference = params.get("client_reference_id")
    if reference and len(reference) > 200:
        raise ApiError(400, "client_reference_id is limited to 200 characters.", param="client_reference_id")

    session_id = new_id("cs")
    session = {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": total,
        "amount_total": total,
        "cancel_url": url(params["cancel_url"], "cancel_url") if params.get("cancel_url") else None,
        "client_reference_id": reference,
        "created": moment,
        "currency": currency,
        "customer": None,
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "expires_at": expires_at,
        "livemode": False,
        "metadata": metadata(params.get("metadata")),
        "mode": "payment",
        "payment_intent": None,
        "payment_status": "unpaid",
        "status": "open",
        "success_url": url(required(params, "success_url"), "success_url"),
        "url": f"{base}/c/pay/{session_id}",
    }
    private = {
        "line_items": items,
        "application_fee_amount": fee,
        "destination": destination,
        "intent_metadata": metadata(intent_data.get("metadata"), "payment_intent_data[metadata]"),
    }
    tx.put(session, private, status="open", due=expires_at)
    return session


def _require_transfers(tx: Tx, account_id: str) -> dict:
    found = tx.get(account_id, "account")
    if found is None:
        raise ApiError(
            400, f"No such destination: '{account_id}'", param="payment_intent_data[transfer_data][destination]"
        )
    account = found[0]
    if account["capabilities"].get("transfers") != "active":
        raise ApiError(
            400,
            "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments",
            param="payment_intent_data[transfer_data][destination]",
            code="insufficient_capabilities_for_transfer",
        )
    return account


def checkout_session(tx: Tx, session_id: str) -> tuple[dict, dict]:
    found = tx.get(session_id, "checkout.session")
    if found is None:
        raise _missing("checkout.session", session_id, "session")
    session, private = found
    if expiry_due(session):
        # Stripe expires a session shortly after its expires_at; reading it must not show it open.
        session = _expire(tx, session, private)
    return session, private


def expiry_due(session: dict) -> bool:
    return session["status"] == "open" and session["expires_at"] <= now()


def expire_due(tx: Tx, moment: int) -> int:
    """Expire every open session whose time is up (the periodic tick)."""
    due = tx.find("checkout.session", status="open", due_before=moment)
    for session, private in due:
        _expire(tx, session, private)
    return len(due)


def expire_checkout_session(tx: Tx, session_id: str) -> dict:
    session, private = checkout_session(tx, session_id)
    if session["status"] != "open":
        raise ApiError(
            400,
            f'Only Checkout Sessions with a status in ["open"] can be expired. This one is {session["status"]}.',
            param="session",
        )
    return _expire(tx, session, private)


def _expire(tx: Tx, session: dict, private: dict) -> dict:
    session = {**session, "status": "expired", "url": None}
    tx.put(session, private, status="expired", due=None)
    tx.emit("checkout.session.expired", session)
    return session


def pay(tx: Tx, session_id: str, card: CardOutcome) -> dict:
    """A successful card payment: a destination charge with its fee and transfer, then the event."""
    session, private = checkout_session(tx, session_id)
    if session["status"] != "open":
        raise ApiError(400, "This Checkout Session is no longer open.", param="session")
    amount, currency, moment = session["amount_total"], session["currency"], now()
    fee, destination = private["application_fee_amount"], private["destination"]
    intent_id, charge_id = new_id("pi"), new_id("ch")
    fee_id = new_id("fee") if fee else None
    transfer_id = new_id("tr") if destination else None
    charge = {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "application_fee": fee_id,
        "application_fee_amount": fee or None,
        "created": moment,
        "currency": currency,
        "livemode": False,
        "paid": True,
        "payment_intent": intent_id,
        "payment_method_details": {"type": "card", "card": {"brand": card.brand, "last4": card.last4}},
        "refunded": False,
        "status": "succeeded",
        "transfer": transfer_id,
        "transfer_data": {"destination": destination} if destination else None,
    }
    intent = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "application_fee_amount": fee or None,
        "created": moment,
        "currency": currency,
        "latest_charge": charge_id,
        "livemode": False,
        "metadata": private["intent_metadata"],
        "status": "succeeded",
        "transfer_data": {"destination": destination} if destination else None,
    }
    tx.put(charge, {"refunds_fail": card.refunds_fail, "session": session_id})
    tx.put(intent)
    if fee_id:
        tx.put(
            {
                "id": fee_id,
                "object": "application_fee",
                "account": destination,
                "amount": fee,
                "amount_refunded": 0,
                "charge": charge_id,
                "created": moment,
                "currency": currency,
                "refunded": False,
            }
        )
    if transfer_id:
        tx.put(
            {
                "id": transfer_id,
                "object": "transfer",
                "amount": amount - fee,
                "amount_reversed": 0,
                "created": moment,
                "currency": currency,
                "destination": destination,
                "reversed": False,
                "source_transaction": charge_id,
            }
        )
    session = {
        **session,
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": intent_id,
        "customer_details": {"email": session["customer_email"]},
    }
    tx.put(session, private, status="complete", due=None)
    tx.emit("checkout.session.completed", session)
    return session


# --- Refunds -------------------------------------------------------------------------------


def create_refund(tx: Tx, params: dict) -> dict:
    intent_id = required(params, "payment_intent")
    found = tx.get(intent_id, "payment_intent")
    if found is None:
        raise _missing("payment_intent", intent_id, "payment_intent")
    intent = found[0]
    charge, charge_private = tx.get(intent["latest_charge"], "charge")
    remaining = charge["amount"] - charge["amount_refunded"]
    amount = integer(params.get("amount", remaining), "amount", minimum=1)
    if remaining <= 0:
        raise ApiError(400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    if amount > remaining:
        raise ApiError(
            400,
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            param="amount",
            code="amount_too_large",
        )
    reason = params.get("reason")
    if reason is not None:
        one_of(reason, "reason", ["duplicate", "fraudulent", "requested_by_customer"])
    reverse_transfer = boolean(params.get("reverse_transfer"), "reverse_transfer")
    refund_fee = boolean(params.get("refund_application_fee"), "refund_application_fee")
    if (reverse_transfer or refund_fee) and not charge["transfer"]:
        raise ApiError(400, "This charge has no transfer to reverse.", param="reverse_transfer")

    moment = now()
    refund = {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "charge": charge["id"],
        "created": moment,
        "currency": charge["currency"],
        "failure_reason": None,
        "metadata": metadata(params.get("metadata")),
        "payment_intent": intent_id,
        "reason": reason,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    private = {
        "reverse_transfer": reverse_transfer,
        "refund_application_fee": refund_fee,
        "fee_refunded": 0,
        "transfer_reversed": 0,
    }
    if refund_fee and charge["application_fee"]:
        fee, _ = tx.get(charge["application_fee"], "application_fee")
        # On the running total, so the parts of several partial refunds add up to the whole.
        back = proportion(fee["amount"], charge["amount_refunded"] + amount, charge["amount"]) - fee["amount_refunded"]
        fee = {**fee, "amount_refunded": fee["amount_refunded"] + back}
        fee["refunded"] = fee["amount_refunded"] == fee["amount"]
        tx.put(fee)
        private["fee_refunded"] = back
    if reverse_transfer:
        transfer, _ = tx.get(charge["transfer"], "transfer")
        reversal = (
            proportion(transfer["amount"], charge["amount_refunded"] + amount, charge["amount"])
            - transfer["amount_reversed"]
        )
        transfer = {**transfer, "amount_reversed": transfer["amount_reversed"] + reversal}
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        tx.put(transfer)
        reversal_id = new_id("trr")
        tx.put(
            {
                "id": reversal_id,
                "object": "transfer_reversal",
                "amount": reversal,
                "created": moment,
                "currency": transfer["currency"],
                "transfer": transfer["id"],
            }
        )
        refund["transfer_reversal"] = reversal_id
        private["transfer_reversed"] = reversal
    charge = {**charge, "amount_refunded": charge["amount_refunded"] + amount}
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    tx.put(charge, charge_private)
    tx.put(refund, private)
    tx.emit("refund.created", refund)
    tx.emit("charge.refunded", charge)
    if charge_private.get("refunds_fail"):
        _fail_refund(tx, refund, private, charge, charge_private)
    return refund


def _fail_refund(tx: Tx, refund: dict, private: dict, charge: dict, charge_private: dict) -> None:
    """Test card 4000 0000 0000 5126: the refund starts as succeeded, then fails; the money comes back."""
    failed = {**refund, "status": "failed", "failure_reason": "expired_or_canceled_card"}
    charge = {**charge, "amount_refunded": charge["amount_refunded"] - refund["amount"], "refunded": False}
    tx.put(charge, charge_private)
    if private["fee_refunded"]:
        fee, _ = tx.get(charge["application_fee"], "application_fee")
        tx.put({**fee, "amount_refunded": fee["amount_refunded"] - private["fee_refunded"], "refunded": False})
    if private["transfer_reversed"]:
        transfer, _ = tx.get(charge["transfer"], "transfer")
        tx.put(
            {
                **transfer,
                "amount_reversed": transfer["amount_reversed"] - private["transfer_reversed"],
                "reversed": False,
            }
        )
    tx.put(failed, {**private, "fee_refunded": 0, "transfer_reversed": 0})
    tx.emit("refund.updated", failed)
    tx.emit("refund.failed", failed)


def refund(tx: Tx, refund_id: str) -> dict:
    found = tx.get(refund_id, "refund")
    if found is None:
        raise _missing("refund", refund_id, "refund")
    return found[0]


def timestamp(value: int) -> str:
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M UTC")
