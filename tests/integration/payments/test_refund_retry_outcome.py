"""An admin's "Retry refund" says what happened, and no next attempt is ever shown in the past."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kendama.extensions import db
from kendama.integrations.stripe.sandbox import store
from kendama.models import LiveSession, Refund, utcnow
from kendama.services.payments import checkout, refunds

from ...support.factories import AdminFactory
from ...support.payments_helpers import Browser, fresh, held_session, pay, sandbox_path

pytestmark = [pytest.mark.committed, pytest.mark.both_databases]

REFUNDS_PAGE = "/admin/payments/refunds"


def failed_refund(server) -> Refund:
    """A paid session's refund whose one attempt could not reach Stripe (retried later)."""
    session = held_session(price=1500)
    assert pay(checkout.open_checkout(session.id).checkout_url).status_code == 303
    store.inject_faults(sandbox_path(server), "POST /v1/refunds", 1)
    refund = refunds.request_refund(fresh(LiveSession, session.id), 1500)
    db.session.commit()
    refunds.execute_refund(refund.id)
    refund = fresh(Refund, refund.id)
    assert refund.status == "failed"
    return refund


def flashes(browser: Browser) -> list[str]:
    page = browser.get(REFUNDS_PAGE).text
    return [re.sub(r"\s+", " ", text) for text in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page, re.S)]


def retry(browser: Browser, refund: Refund):
    response = browser.submit(REFUNDS_PAGE, f"{REFUNDS_PAGE}/{refund.id}/retry")
    assert response.status_code == 303 and response.headers["Location"] == REFUNDS_PAGE
    return flashes(browser)


@pytest.fixture
def admin(live):
    return Browser(live).login(AdminFactory(timezone="America/New_York"))


def test_a_retry_that_goes_through_says_the_refund_is_sent(live, admin):
    refund = failed_refund(live)
    assert retry(admin, refund) == [f"Refund #{refund.id} is sent: Stripe accepted it."]
    assert fresh(Refund, refund.id).status == "succeeded"


def test_a_retry_that_fails_again_says_so_and_when_the_next_attempt_is(live, admin, monkeypatch):
    monkeypatch.setitem(live.app.config, "REFUND_RETRY_BASE_SECONDS", 3600)
    refund = failed_refund(live)
    store.inject_faults(sandbox_path(live), "POST /v1/refunds", 1)
    [message] = retry(admin, refund)
    refund = fresh(Refund, refund.id)
    assert refund.status == "failed" and refund.next_attempt_at > utcnow()
    assert message.startswith(f"Refund #{refund.id} failed again: ")
    assert re.search(r"Next attempt: \w{3} \d\d \w{3} \d{4}, \d\d:\d\d \(America/New_York\)\.$", message)


def test_retrying_a_refund_that_is_already_done_says_so(live, admin):
    refund = failed_refund(live)
    refunds.execute_refund(refund.id, now=utcnow() + timedelta(days=1))  # the sweep got there first
    assert fresh(Refund, refund.id).status == "succeeded"
    assert retry(admin, refund) == [f"Refund #{refund.id} was already sent; there is nothing to retry."]


def test_a_next_attempt_that_is_due_shows_as_due_now_never_as_a_past_time(live, admin):
    refund = failed_refund(live)
    db.session.get(Refund, refund.id).next_attempt_at = utcnow() - timedelta(minutes=7)
    db.session.commit()
    page = admin.get(REFUNDS_PAGE).text
    row = re.search(rf"<th scope=\"row\">#{refund.id}</th>.*?</tr>", page, re.S).group(0)
    assert "due now" in row and "(America/New_York)" not in row
