"""The cancellation and reschedule policy at its edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from kendama.services.booking import policy
from kendama.services.errors import PolicyViolation

pytestmark = pytest.mark.both_databases

START = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
PRAGUE = ZoneInfo("Europe/Prague")


@pytest.mark.parametrize(
    ("before_start", "percent"),
    [
        (timedelta(days=3), 100),
        (timedelta(hours=24), 100),  # exactly 24 h before: still a full refund
        (timedelta(hours=24) - timedelta(seconds=1), 50),
        (timedelta(hours=2), 50),  # exactly 2 h before: still partial
        (timedelta(hours=2) - timedelta(seconds=1), 0),
        (timedelta(minutes=5), 0),
    ],
)
def test_fan_refund_by_notice(app, before_start, percent):
    quote = policy.refund_quote(2500, "usd", START, policy.FAN, START - before_start)
    assert quote.percent == percent
    assert quote.amount == 2500 * percent // 100


@pytest.mark.parametrize("role", [policy.PLAYER, policy.ADMIN])
def test_player_or_admin_cancellation_always_refunds_in_full(app, role):
    quote = policy.refund_quote(2500, "usd", START, role, START - timedelta(minutes=1))
    assert (quote.percent, quote.amount) == (100, 2500)


def test_partial_refund_rounds_half_up(app):
    assert policy.refund_quote(999, "usd", START, policy.FAN, START - timedelta(hours=3)).amount == 500


def test_nothing_paid_nothing_refunded(app):
    quote = policy.refund_quote(0, "usd", START, policy.FAN, START - timedelta(days=3))
    assert quote.amount == 0 and "Nothing was paid" in quote.reason


def test_numbers_come_from_configuration(app):
    app.config.update(POLICY_FULL_REFUND_HOURS=48, POLICY_PARTIAL_REFUND_PERCENT=25)
    try:
        quote = policy.refund_quote(2000, "usd", START, policy.FAN, START - timedelta(hours=30))
        assert (quote.percent, quote.amount) == (25, 500)
    finally:
        app.config.update(POLICY_FULL_REFUND_HOURS=24, POLICY_PARTIAL_REFUND_PERCENT=50)


def test_hours_are_elapsed_time_across_spring_forward(app):
    """Noon the day before a spring-forward Sunday is only 23 hours before noon on Sunday."""
    start = datetime(2026, 3, 29, 12, 0, tzinfo=PRAGUE).astimezone(UTC)
    day_before = datetime(2026, 3, 28, 12, 0, tzinfo=PRAGUE).astimezone(UTC)
    assert start - day_before == timedelta(hours=23)
    assert policy.refund_quote(2500, "usd", start, policy.FAN, day_before).percent == 50
    assert policy.refund_quote(2500, "usd", start, policy.FAN, start - timedelta(hours=24)).percent == 100


def test_hours_are_elapsed_time_across_fall_back(app):
    start = datetime(2026, 10, 25, 12, 0, tzinfo=PRAGUE).astimezone(UTC)
    day_before = datetime(2026, 10, 24, 12, 0, tzinfo=PRAGUE).astimezone(UTC)
    assert start - day_before == timedelta(hours=25)
    late = start - timedelta(hours=24) + timedelta(seconds=1)  # 13:00:01 on the wall clock the day before
    assert policy.refund_quote(2500, "usd", start, policy.FAN, day_before).percent == 100
    assert policy.refund_quote(2500, "usd", start, policy.FAN, late).percent == 50


def _session(count: int = 0, start: datetime = START):
    return SimpleNamespace(reschedule_count=count, starts_at=start)


def test_reschedule_allowed_up_to_the_limit_and_the_deadline(app):
    assert policy.reschedule_refusal(_session(1), START - timedelta(hours=24)) is None
    assert "at most 2 times" in policy.reschedule_refusal(_session(2), START - timedelta(days=5))
    late = policy.reschedule_refusal(_session(0), START - timedelta(hours=24) + timedelta(seconds=1))
    assert "24 hours" in late
    with pytest.raises(PolicyViolation):
        policy.check_reschedule(_session(2), START - timedelta(days=5))


def test_policy_page_states_the_configured_numbers(client):
    html = client.get("/policy").get_data(as_text=True)
    assert "up to 24 hours before the start" in html
    assert "50 % back" in html and "at least 2 hours" in html
    assert "at most 2 times" in html


def test_a_payment_of_one_minor_unit_is_refunded_with_its_reason(app):
    quote = policy.refund_quote(1, "usd", START, policy.FAN, START - timedelta(days=3))
    assert quote.amount == 1 and "full refund" in quote.reason and "Nothing was paid" not in quote.reason


def test_every_refusal_names_its_reason(app):
    refused = [
        policy.refund_quote(2500, "usd", START, policy.FAN, START - timedelta(minutes=5)),
        policy.refund_quote(2500, "usd", START, policy.FAN, START - timedelta(hours=3)),
        policy.refund_quote(2500, "usd", START, policy.PLAYER, START - timedelta(minutes=5)),
    ]
    assert [quote.reason for quote in refused] == [
        "Cancelled less than 2 hours before the start: no refund.",
        "Cancelled less than 24 hours before the start: 50 % refund.",
        "The session was cancelled on the fan's behalf, so the fan gets a full refund.",
    ]
    with pytest.raises(PolicyViolation) as caught:
        policy.check_reschedule(_session(0), START - timedelta(hours=1))
    assert caught.value.message == "Sessions can only be rescheduled at least 24 hours before the start."


def test_a_full_refund_states_the_configured_notice(app):
    quote = policy.refund_quote(2500, "usd", START, policy.FAN, START - timedelta(days=3))
    assert (quote.percent, quote.amount, quote.currency) == (100, 2500, "usd")
    assert quote.reason == "Cancelled at least 24 hours before the start: full refund."


def test_a_free_session_quotes_its_percent_and_currency_with_nothing_to_refund(app):
    """The cancel page and the API show the quote whole: a free session still has a percent and a currency."""
    quote = policy.refund_quote(0, "eur", START, policy.FAN, START - timedelta(days=3))
    assert quote == policy.RefundQuote(100, 0, "eur", "Nothing was paid, so there is nothing to refund.")
    late = policy.refund_quote(0, "jpy", START, policy.FAN, START - timedelta(hours=3))
    assert (late.percent, late.amount, late.currency) == (50, 0, "jpy")
