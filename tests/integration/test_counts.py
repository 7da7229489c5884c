"""Counts on pages and in messages read right for one: "1 fan", not "1 fans"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kendama.extensions import db
from kendama.models import Refund, utcnow
from kendama.services.booking import policy

from ..support.booking_helpers import mark_paid
from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def stats(html: str) -> dict[str, int]:
    """The console's figures: label -> number."""
    found = re.findall(r'<span class="stat-number">(\d+)</span> <span class="stat-label">([^<]+)</span>', html)
    return {label: int(number) for number, label in found}


def test_the_admin_console_words_each_figure_in_its_number(client, login):
    fan, player = FanFactory(), PlayerFactory(setup__paid=True)
    session = LiveSessionFactory(fan=fan, player=player, price_amount=2500, platform_fee_amount=375)
    payment = mark_paid(session)
    db.session.add(
        Refund(
            session_id=session.id,
            payment_id=payment.id,
            amount=100,
            currency="usd",
            status="dead",
            idempotency_key=f"counts-{session.id}",
        )
    )
    db.session.commit()
    login(AdminFactory())
    figures = stats(client.get("/admin/").get_data(as_text=True))
    assert figures["fan"] == 1 and figures["player listed"] == 1
    assert figures["session still to come"] == 1 and figures["refund needs attention"] == 1
    assert figures["sessions completed"] == 0 and figures["recordings"] == 0
    assert client.get("/admin/sessions").get_data(as_text=True).count(">1 session<") == 1


def test_the_policy_reads_right_when_a_number_is_one(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "POLICY_MAX_RESCHEDULES", 1)
    monkeypatch.setitem(app.config, "POLICY_PARTIAL_REFUND_HOURS", 1)
    html = client.get("/policy").get_data(as_text=True)
    assert "at most 1 time, by the fan" in html and "at least 1 hour before the start" in html
    assert "1 times" not in html and "1 hours" not in html
    starts = utcnow() + timedelta(minutes=30)
    assert (
        policy.refund_percent(starts, policy.FAN, utcnow())[1]
        == "Cancelled less than 1 hour before the start: no refund."
    )
