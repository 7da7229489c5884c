"""Money rules. Amounts are integers in the currency's minor unit (cents; yen for JPY).

The one rounding rule: the platform fee is the percentage of the price rounded half up to a
whole minor unit (15 % of 999 = 149.85 -> 150), never more than the price. The player's share is
the price minus the fee, so the two always add up exactly. A partial refund is a percentage of
what was paid, rounded half up the same way; the fee given back with a refund is the fee's share
in proportion to the refund, rounded half up, never more than the fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app

# ISO 4217 currencies without a minor unit (the amount is already whole units).
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
SUPPORTED_CURRENCIES = ("usd", "eur", "gbp", "jpy", "czk", "cad", "aud")


def round_half_up(value: Decimal) -> int:
    """The project's single rounding rule for money."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount: int, percent: Decimal | int | str) -> int:
    """`percent` % of `amount`, rounded half up, never above `amount`."""
    return min(amount, round_half_up(Decimal(amount) * Decimal(str(percent)) / Decimal(100)))


@dataclass(frozen=True)
class Split:
    price: int
    platform_fee: int
    player_share: int


def platform_fee_percent() -> Decimal:
    return Decimal(str(current_app.config["PLATFORM_FEE_PERCENT"]))


def split_price(price: int, percent: Decimal | int | str | None = None) -> Split:
    """Split a price into the platform fee and the player's share."""
    fee = percent_of(price, platform_fee_percent() if percent is None else percent)
    return Split(price=price, platform_fee=fee, player_share=price - fee)


def fee_refund(fee: int, refund_amount: int, paid_amount: int) -> int:
    """The part of the platform fee that goes back with a refund, in proportion."""
    if paid_amount <= 0:
        return 0
    share = Decimal(fee) * Decimal(refund_amount) / Decimal(paid_amount)
    return min(fee, round_half_up(share))


def format_money(amount: int, currency: str) -> str:
    """Human text for a price, e.g. 2500 usd -> 'USD 25.00'; 0 -> 'Free'."""
    if amount == 0:
        return "Free"
    return format_amount(amount, currency)


def format_amount(amount: int, currency: str) -> str:
    """Human text for a sum of money, zero included (totals, fees, refunds): 0 usd -> 'USD 0.00'."""
    code = currency.upper()
    if currency.lower() in ZERO_DECIMAL_CURRENCIES:
        return f"{code} {amount:,}"
    return f"{code} {Decimal(amount) / 100:,.2f}"


def from_minor_units(amount: int, currency: str) -> str:
    """The text to_minor_units reads back as `amount`: 2550 usd -> '25.50', 0 -> '0', 1500 jpy -> '1500'."""
    if amount == 0:
        return "0"
    if currency.lower() in ZERO_DECIMAL_CURRENCIES:
        return str(amount)
    return f"{Decimal(amount) / 100:.2f}"


def to_minor_units(text: str, currency: str) -> int:
    """Parse what a person typed (e.g. '25' or '25.50') into minor units; ValueError if not money."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError("not a number") from exc
    if not value.is_finite() or value < 0:
        raise ValueError("negative")
    scale = 1 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 100
    minor = value * scale
    if minor != minor.to_integral_value():
        raise ValueError("too many decimals")
    return int(minor)
