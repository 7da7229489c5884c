"""The admin console through HTTP: who may see it, the overview, the queue and the session list."""

from __future__ import annotations

import pytest

from ..support.booking_helpers import mark_paid
from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

CONSOLE_PAGES = ["/admin/", "/admin/sessions", "/admin/sessions?status=cancelled&person=x"]


@pytest.mark.parametrize("path", CONSOLE_PAGES)
@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), ("fan", 404), ("player", 404), ("admin", 200)],
    ids=["anonymous", "fan", "player", "admin"],
)
def test_console_access_by_role(client, login, path, role, status):
    factories = {"fan": FanFactory, "player": PlayerFactory, "admin": AdminFactory}
    if role:
        login(factories[role]())
    response = client.get(path)
    assert response.status_code == status
    if status == 302:
        assert "/login" in response.headers["Location"]


def test_overview_shows_counts_fees_and_what_players_submitted(client, login):
    waiting = PlayerFactory(display_name="Queue Quinn", setup__verified=False)
    session = LiveSessionFactory(price_amount=2500, platform_fee_amount=375, player_share_amount=2125)
    mark_paid(session)
    login(AdminFactory())
    html = client.get("/admin/").get_data(as_text=True)
    assert html.count("<h1") == 1
    assert "Queue Quinn" in html and "Teaches kendama." in html and "30 min, Free" in html
    assert "Payout account" in html and "Not started" in html and "Charges not enabled" in html
    assert f'action="/admin/players/{waiting.id}/verify"' in html and 'for="note-' in html
    assert "USD 3.75" in html  # the platform fee of the one payment
    for link in (
        "/admin/sessions",
        "/admin/payments",
        "/admin/payments/refunds",
        "/admin/notifications",
        "/admin/recordings",
        "/admin/rollout",
        "/admin/feedback",
    ):
        assert f'href="{link}"' in html


def test_session_list_filters_and_pages(client, login):
    ana = PlayerFactory(display_name="Ana Filter")
    LiveSessionFactory(player=ana)
    LiveSessionFactory(player=ana, status="cancelled")
    for _ in range(26):
        LiveSessionFactory()
    login(AdminFactory())
    first = client.get("/admin/sessions").get_data(as_text=True)
    assert "28 sessions" in first and "page 1 of 2" in first and 'aria-label="Pages of sessions"' in first
    assert first.count("<tr>") == 1 + 25
    second = client.get("/admin/sessions?page=2").get_data(as_text=True)
    assert second.count("<tr>") == 1 + 3
    only_ana = client.get("/admin/sessions?person=ana+filter").get_data(as_text=True)
    assert "2 sessions" in only_ana
    cancelled = client.get("/admin/sessions?person=ana&status=cancelled").get_data(as_text=True)
    assert "1 session<" in cancelled and "Cancelled" in cancelled
    # The pager keeps the filters: 26 sessions whose fans are "User n" fill two pages.
    users = client.get("/admin/sessions?person=user").get_data(as_text=True)
    assert 'href="/admin/sessions?page=2&amp;person=user"' in users


def test_bad_session_filters_are_422_with_messages(client, login):
    login(AdminFactory())
    response = client.get("/admin/sessions?start_date=2030-03-05&end_date=2030-03-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="error-summary"' in html and "on or after the first day" in html
    assert 'aria-describedby="end_date-error"' in html
    assert client.get("/admin/sessions?status=lost").status_code == 422
