"""Stripe events: the re-read from Stripe runs outside any transaction."""

from __future__ import annotations

import pytest

from kendama.extensions import db
from kendama.services.payments import webhooks

pytestmark = pytest.mark.both_databases


def test_the_re_read_from_stripe_holds_no_transaction(monkeypatch):
    """On SQLite a webhook's transaction holds the single write lock; a slow Stripe would stall every writer."""
    seen = []

    def prepare(event):
        seen.append(db.session().in_transaction())
        return event

    monkeypatch.setitem(webhooks.HANDLERS, "test.event", webhooks.Handler(prepare, lambda prepared: None))
    assert webhooks.handle_event({"id": "evt_test_lock", "type": "test.event", "data": {"object": {}}})
    assert seen == [False]
    assert not webhooks.handle_event({"id": "evt_test_lock", "type": "test.event", "data": {"object": {}}})
