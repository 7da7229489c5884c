"""Fees and refunds at the edges of the rounding rule: 1, 3 and 999 minor units, and yen."""

import pytest

from kendama.integrations.stripe.sandbox.ledger import proportion
from kendama.services.payments.money import fee_refund, format_money, percent_of, split_price
from kendama.services.payments.refunds import fee_share


@pytest.mark.parametrize(
    ("price", "fee"),
    [(1, 0), (3, 0), (4, 1), (999, 150), (2500, 375)],
)
@pytest.mark.parametrize("currency", ["usd", "jpy"])
def test_fee_and_share_add_up_in_every_currency(price, fee, currency):
    # The rule works on minor units, so a yen price (no minor unit) splits exactly like cents.
    split = split_price(price, 15)
    assert (split.platform_fee, split.player_share) == (fee, price - fee)


@pytest.mark.parametrize(("paid", "percent", "refund"), [(1, 50, 1), (3, 50, 2), (999, 50, 500), (1500, 50, 750)])
def test_partial_refunds_round_half_up(paid, percent, refund):
    assert percent_of(paid, percent) == refund


@pytest.mark.parametrize(
    ("fee", "paid", "parts"),
    [
        (1, 2, [1, 1]),  # each half alone would round to 1: together they must give back only 1
        (1, 3, [1, 1, 1]),
        (150, 999, [500, 499]),
        (150, 999, [1] * 9 + [990]),
        (0, 1, [1]),
        (375, 2500, [1250, 1250]),
    ],
)
def test_fee_given_back_in_parts_adds_up_to_the_fee(fee, paid, parts):
    refunded = returned = 0
    for amount in parts:
        share = fee_share(fee, paid, refunded, returned, amount)
        assert share >= 0
        refunded, returned = refunded + amount, returned + share
        assert returned == fee_refund(fee, refunded, paid)  # always the one rule on the running total
    assert (refunded, returned) == (paid, fee)


def test_yen_amounts_are_whole_yen():
    split = split_price(999, 15)
    assert format_money(split.platform_fee, "jpy") == "JPY 150"
    assert format_money(split.player_share, "jpy") == "JPY 849"
    assert fee_share(split.platform_fee, 999, 0, 0, 500) == 75


@pytest.mark.parametrize(
    ("total", "part", "whole", "expected"), [(150, 500, 999, 75), (849, 500, 999, 425), (1, 1, 2, 1)]
)
def test_the_sandbox_splits_reversals_half_up_too(total, part, whole, expected):
    assert proportion(total, part, whole) == expected
