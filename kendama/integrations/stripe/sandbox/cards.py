"""Stripe's documented test cards, and what each does in the sandbox's checkout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CardOutcome:
    succeeded: bool
    brand: str = "visa"
    last4: str = ""
    message: str = ""  # shown to the payer when the card is refused
    field: str = "number"  # the field the message belongs to
    decline_code: str | None = None
    refunds_fail: bool = False  # 4000 0000 0000 5126: refunds fail after they are created


SUCCEEDING = {
    "4242424242424242": ("visa", False),
    "5555555555554444": ("mastercard", False),
    "4000000000005126": ("visa", True),
}
DECLINING = {
    "4000000000000002": ("generic_decline", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", "Your card's security code is incorrect."),
    "4000002760003184": (
        "authentication_required",
        "This card requires authentication (3-D Secure), which the sandbox does not simulate. "
        "Use 4242 4242 4242 4242 instead.",
    ),
}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _expiry_ok(text: str, today: date) -> bool:
    parts = text.replace(" ", "").split("/")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return False
    month, year = int(parts[0]), int(parts[1])
    year += 2000 if year < 100 else 0
    return 1 <= month <= 12 and (year, month) >= (today.year, today.month)


def check(number: str, expiry: str, cvc: str, today: date) -> CardOutcome:
    """What happens when this card is used; only the last four digits are ever kept."""
    digits = "".join(ch for ch in number if not ch.isspace() and ch != "-")
    if not digits.isdigit() or not 13 <= len(digits) <= 19 or not _luhn_ok(digits):
        return CardOutcome(False, message="Your card number is incorrect.", field="number")
    last4 = digits[-4:]
    if not _expiry_ok(expiry, today):
        return CardOutcome(
            False, last4=last4, message="Your card's expiration date is incomplete or in the past.", field="expiry"
        )
    if not (cvc.isdigit() and len(cvc) in (3, 4)):
        return CardOutcome(False, last4=last4, message="Your card's security code is incomplete.", field="cvc")
    if digits in SUCCEEDING:
        brand, refunds_fail = SUCCEEDING[digits]
        return CardOutcome(True, brand=brand, last4=last4, refunds_fail=refunds_fail)
    if digits in DECLINING:
        code, message = DECLINING[digits]
        return CardOutcome(False, last4=last4, message=message, decline_code=code)
    return CardOutcome(
        False,
        last4=last4,
        message="Your card was declined. This sandbox takes Stripe's test cards only, such as 4242 4242 4242 4242.",
        decline_code="test_mode_live_card",
    )
