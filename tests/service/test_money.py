"""The one rounding rule for fees and refunds, at its edges."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kendama.services.payments.money import (
    SUPPORTED_CURRENCIES,
    fee_refund,
    format_amount,
    format_money,
    from_minor_units,
    percent_of,
    split_price,
    to_minor_units,
)


@pytest.mark.parametrize(
    ("price", "percent", "fee"),
    [
        (1, 15, 0),  # 0.15 rounds down
        (3, 15, 0),  # 0.45 rounds down
        (4, 15, 1),  # 0.60 rounds up
        (10, 15, 2),  # 1.5 rounds half up
        (999, 15, 150),  # 149.85
        (2500, 15, 375),
        (0, 15, 0),
        (100, 100, 100),
        (333, "12.5", 42),  # 41.625
    ],
)
def test_platform_fee_rounds_half_up(app, price, percent, fee):
    split = split_price(price, percent)
    assert split.platform_fee == fee
    assert split.platform_fee + split.player_share == price


def test_fee_uses_configured_percent(app):
    with app.app_context():
        app.config["PLATFORM_FEE_PERCENT"] = "20"
        try:
            assert split_price(999).platform_fee == 200  # 199.8
        finally:
            app.config["PLATFORM_FEE_PERCENT"] = "15"


def test_fee_never_exceeds_price():
    assert percent_of(1, 150) == 1


@pytest.mark.parametrize(
    ("fee", "refund", "paid", "expected"),
    [
        (150, 999, 999, 150),  # full refund returns the whole fee
        (150, 500, 999, 75),  # 75.075
        (0, 1, 1, 0),
        (1, 1, 3, 0),  # 0.333
        (2, 1, 3, 1),  # 0.666
        (375, 1250, 2500, 188),  # 187.5 rounds half up
    ],
)
def test_fee_refund_in_proportion(fee, refund, paid, expected):
    assert fee_refund(fee, refund, paid) == expected


def test_zero_decimal_currency_formatting_and_parsing():
    assert format_money(1500, "jpy") == "JPY 1,500"
    assert format_money(1500, "usd") == "USD 15.00"
    assert format_money(0, "usd") == "Free"
    assert to_minor_units("15", "jpy") == 15
    assert to_minor_units("15.5", "usd") == 1550
    with pytest.raises(ValueError):
        to_minor_units("15.5", "jpy")
    with pytest.raises(ValueError):
        to_minor_units("1.234", "usd")
    with pytest.raises(ValueError):
        to_minor_units("abc", "usd")
    with pytest.raises(ValueError):
        to_minor_units("-1", "usd")


def test_sums_of_money_show_zero_as_an_amount_while_prices_say_free():
    assert format_money(0, "eur") == "Free"
    assert format_amount(0, "eur") == "EUR 0.00"
    assert format_amount(0, "jpy") == "JPY 0"
    assert format_amount(123456, "usd") == format_money(123456, "usd") == "USD 1,234.56"


@pytest.mark.parametrize(
    ("fee", "refund", "paid", "expected"),
    [
        (0, 0, 0, 0),  # nothing was paid: nothing to divide, nothing goes back
        (5, 0, 0, 0),
        (1, 1, 1, 1),  # a payment of one minor unit refunded in full returns its whole fee
        (3, 1, 2, 2),  # 1.5 rounds half up
    ],
)
def test_fee_refund_at_the_smallest_payments(fee, refund, paid, expected):
    assert fee_refund(fee, refund, paid) == expected


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("0", "usd", 0), ("0.50", "usd", 50), (" 0.5 ", "eur", 50), ("0", "jpy", 0), ("25", "usd", 2500)],
)
def test_to_minor_units_takes_zero_and_amounts_below_one(text, currency, minor):
    """The dashboard sends "0" for a free lesson; fifty cents is a price too."""
    assert to_minor_units(text, currency) == minor


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-0.01", "", "1e400x"])
def test_to_minor_units_refuses_what_is_not_a_price(text):
    with pytest.raises(ValueError):
        to_minor_units(text, "usd")


@given(amount=st.integers(min_value=0, max_value=10**9), currency=st.sampled_from(SUPPORTED_CURRENCIES))
def test_the_price_field_reads_back_the_amount_it_was_filled_with(amount, currency):
    """The profile form is filled from minor units by the inverse of the parse, not from display text."""
    assert to_minor_units(from_minor_units(amount, currency), currency) == amount


def test_a_price_field_shows_plain_numbers():
    assert from_minor_units(0, "usd") == "0"
    assert from_minor_units(2550, "usd") == "25.50"
    assert from_minor_units(123456789, "eur") == "1234567.89"
    assert from_minor_units(1500, "jpy") == "1500"


def test_split_carries_the_price_it_split():
    """Booking stores `split.price` as the session's price and charges only when it is above 0."""
    split = split_price(999, 15)
    assert (split.price, split.platform_fee, split.player_share) == (999, 150, 849)
