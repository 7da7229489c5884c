"""Counts for people: the noun agrees with the number."""

from __future__ import annotations

import pytest

from kendama.services.wording import plural


@pytest.mark.parametrize(("count", "text"), [(0, "0 fans"), (1, "1 fan"), (2, "2 fans"), (21, "21 fans")])
def test_a_count_takes_the_singular_only_for_one(count, text):
    assert plural(count, "fan") == text


def test_phrases_give_their_own_plural_and_may_leave_the_number_out():
    assert plural(1, "refund needs attention", "refunds need attention") == "1 refund needs attention"
    assert plural(3, "refund needs attention", "refunds need attention") == "3 refunds need attention"
    assert plural(1, "fan", with_count=False) == "fan"
    assert plural(2, "fan", with_count=False) == "fans"
