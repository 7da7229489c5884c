"""The sandbox's stand-in for Stripe's Express dashboard leads the player back to the app."""

from __future__ import annotations

import re

import pytest
import requests

from kendama.services.payments import payouts

from ...support.factories import PlayerFactory

pytestmark = [pytest.mark.committed, pytest.mark.both_databases]


def test_the_payouts_dashboard_links_back_to_the_players_payouts_page(live):
    player = PlayerFactory(setup__paid=True)
    page = requests.get(payouts.dashboard_link(player), timeout=10)
    assert page.status_code == 200 and "Payouts dashboard" in page.text
    back = re.search(r'<a href="([^"]+)">(<span aria-hidden="true">← </span>)?Back to Kendama Live</a>', page.text)
    assert back and back.group(1) == f"{live.url}/dashboard/payouts"
