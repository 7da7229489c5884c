"""The fan's and the player's dashboards and the receipt page, through HTTP on PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from kendama.extensions import db
from kendama.models import Refund, SessionRecording, utcnow
from kendama.services import dashboard
from kendama.services.booking import lifecycle

from ..support.booking_helpers import mark_paid, weekday_at
from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory
from ..support.video_support import session_at

pytestmark = pytest.mark.both_databases

INLINE = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\sstyle=", re.IGNORECASE)


def paid_session(fan, player, *, price: int = 2500, days_ahead: int = 3):
    session = lifecycle.create_session(fan, player.id, weekday_at(10, days_ahead=days_ahead), 30)
    mark_paid(session, price)
    return session


def recording_for(session, status: str = "ready") -> SessionRecording:
    recording = SessionRecording(
        session_id=session.id,
        provider="daily",
        provider_recording_id=f"rec-{session.id}-{status}",
        status=status,
        duration_seconds=600,
        captions_vtt="WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n",
    )
    db.session.add(recording)
    db.session.commit()
    return recording


def test_fan_dashboard_has_every_part_and_no_inline_code(client, login):
    fan = FanFactory(email_reminders=False)
    LiveSessionFactory(fan=fan, notes="Please look at my lighthouse.")
    login(fan)
    html = client.get("/dashboard/").get_data(as_text=True)
    for heading in ("Upcoming sessions", "Recordings", "Receipts", "Emails", "Your sessions in your calendar"):
        assert f">{heading}</h2>" in html
    assert "Your notes:</span> Please look at my lighthouse." in html
    assert re.search(r"Reminders \(24 hours and 1 hour before\)</dt><dd>Off</dd>", html)
    assert 'href="/account">Change your email settings' in html
    assert "/calendar/" in html and html.count("<h1") == 1
    assert not INLINE.search(html)
    assert "Payouts and earnings" not in html  # a player's part


def shown_text(html: str) -> str:
    """What a reader sees: the page without its tags, whose attributes hold random tokens (a CSRF
    token once held "fee" and failed the check below)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_fan_sees_receipts_and_refund_status_but_never_the_fee(client, login):
    fan, player = FanFactory(), PlayerFactory(setup__paid=True, setup__currency="eur", setup__price=1500)
    kept = paid_session(fan, player, price=1500)
    # A week later than the kept one: weekday_at moves weekend days to Monday, so nearer days can collide.
    cancelled = paid_session(fan, player, price=1500, days_ahead=10)
    lifecycle.cancel(fan, cancelled.id, "Moving house")
    refund = db.session.query(Refund).filter_by(session_id=cancelled.id).one()
    login(fan)

    html = client.get("/dashboard/").get_data(as_text=True)
    receipts = html.split('id="receipts-title"', 1)[1].split("</section>", 1)[0]
    assert receipts.count("EUR 15.00 on") == 2
    assert "EUR 15.00: on its way" in receipts
    assert f"/dashboard/sessions/{kept.id}/receipt" in receipts
    assert "fee" not in shown_text(receipts).lower()

    refund.status, refund.completed_at = "succeeded", utcnow()
    db.session.commit()
    page = client.get(f"/dashboard/sessions/{cancelled.id}/receipt")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Receipt</h1>" in text
    assert 'Amount paid</dt><dd class="price">EUR 15.00' in text
    assert "EUR 15.00 granted" in text and "refunded on" in text
    assert "Paid after refunds: EUR 0.00" in text
    assert "fee" not in shown_text(text).lower()


def test_receipts_are_only_for_the_fan_and_admins_and_only_when_paid(client, login):
    fan, player, stranger = FanFactory(), PlayerFactory(setup__paid=True), FanFactory()
    paid = paid_session(fan, player)
    unpaid = LiveSessionFactory(fan=fan)
    login(stranger)
    assert client.get(f"/dashboard/sessions/{paid.id}/receipt").status_code == 404
    login(player)
    assert client.get(f"/dashboard/sessions/{paid.id}/receipt").status_code == 404
    login(fan)
    assert client.get(f"/dashboard/sessions/{unpaid.id}/receipt").status_code == 404
    assert client.get(f"/dashboard/sessions/{paid.id}/receipt").status_code == 200


def test_player_dashboard_shows_notes_hours_offerings_payouts_and_earnings(client, login):
    player = PlayerFactory(setup__paid=True, setup__currency="eur", setup__price=2000)
    fan = FanFactory(display_name="Nora Notes")
    session = lifecycle.create_session(fan, player.id, weekday_at(10), 30, notes="Working on tap juggling.")
    mark_paid(session)
    login(player)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Notes from Nora Notes:</span> Working on tap juggling." in html
    assert "30 minutes · EUR 20.00" in html
    assert "<dt>Monday</dt>" in html and "09:00–17:00" in html and "<dt>Saturday</dt>" not in html
    assert "set up; you can offer paid sessions" in html
    earnings = html.split('id="payouts-title"', 1)[1].split("</section>", 1)[0]
    assert "EUR 20.00" in earnings  # gross of the one paid session
    assert '<td data-label="Refunded">EUR 0.00</td>' in earnings  # a zero sum is a sum, not "Free"
    assert "/dashboard/availability" in html and "/dashboard/profile" in html and "/dashboard/earnings" in html
    assert "Receipts</h2>" not in html
    assert not INLINE.search(html)


def test_player_can_mark_a_no_show_from_the_dashboard_once_the_session_started(client, login):
    started = session_at(timedelta(minutes=-5))
    later = session_at(timedelta(days=2), player=started.player)
    login(started.player)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert f'action="/sessions/{started.id}/no-show"' in html
    assert f'action="/sessions/{later.id}/no-show"' not in html
    login(started.fan)
    assert "no-show" not in client.get("/dashboard/").get_data(as_text=True)


def test_recordings_with_share_controls_for_the_player_only(client, login):
    shared = session_at(
        timedelta(days=-1),
        status="completed",
        fan_recording_consent=True,
        player_recording_consent=True,
        fan_sharing_consent=True,
        player_sharing_consent=True,
    )
    shared.started_at = shared.starts_at
    private = session_at(
        timedelta(days=-2),
        status="completed",
        player=shared.player,
        fan_recording_consent=True,
        player_recording_consent=True,
    )
    private.started_at = private.starts_at
    recording_for(shared)
    recording_for(private)
    processing = session_at(timedelta(days=-3), status="completed", player=shared.player)
    recording_for(processing, "in_progress")

    login(shared.player)
    html = client.get("/dashboard/").get_data(as_text=True)
    section = html.split('id="recordings-title"', 1)[1].split("</section>", 1)[0]
    assert f'action="/sessions/{shared.id}/recording/share"' in section
    assert f'action="/sessions/{private.id}/recording/share"' not in section
    assert "Sharing needs the permission of both of you." in section
    assert "Recording: being processed" in section
    assert section.count("Watch<span") == 2

    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post(f"/sessions/{shared.id}/recording/share", data={"csrf_token": token})
    assert response.status_code == 303
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "A share link works until" in html and f'action="/sessions/{shared.id}/recording/share/revoke"' in html

    login(shared.fan)
    section = client.get("/dashboard/").get_data(as_text=True).split('id="recordings-title"', 1)[1]
    assert "Watch<span" in section and "/recording/share" not in section


def test_a_held_booking_offers_to_continue_paying(client, login):
    fan, player = FanFactory(), PlayerFactory(setup__paid=True)
    session = lifecycle.create_session(fan, player.id, weekday_at(10), 30)  # opens Checkout in the sandbox
    login(fan)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert f'action="/sessions/{session.id}/payment/checkout"' in html
    assert "Awaiting payment" in html


def test_the_dashboard_costs_the_same_queries_for_3_or_12_sessions(client, login):
    def queries_for(count: int) -> int:
        fan, player = FanFactory(), PlayerFactory(setup__paid=True)
        for index in range(count):
            session = LiveSessionFactory(
                fan=fan, player=player, starts_at=utcnow() + timedelta(days=index + 1, hours=1), price_amount=2500
            )
            mark_paid(session)
        login(fan)
        seen = []
        bind = db.session.get_bind()

        def record(conn, cursor, statement, *args):
            if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
                seen.append(statement)

        event.listen(bind, "before_cursor_execute", record)
        try:
            assert client.get("/dashboard/").status_code == 200
        finally:
            event.remove(bind, "before_cursor_execute", record)
        return len(seen)

    assert queries_for(3) == queries_for(12)


def test_overview_groups_cards_for_the_viewer():
    fan, player = FanFactory(), PlayerFactory(setup__paid=True)
    upcoming = paid_session(fan, player)
    past = session_at(timedelta(days=-1), fan=fan, player=player, status="completed")
    view = dashboard.overview(fan)
    assert [c.session.id for c in view.upcoming] == [upcoming.id]
    assert [c.session.id for c in view.past] == [past.id]
    assert [c.session.id for c in view.receipts] == [upcoming.id]
    assert view.upcoming[0].role == "fan" and view.upcoming[0].other.id == player.id
    assert view.player is None
    as_player = dashboard.overview(player)
    assert as_player.receipts == [] and as_player.upcoming[0].role == "player"
    assert as_player.player.profile.user_id == player.id


def test_a_confirmed_session_nobody_joined_reads_not_held_once_it_is_over(client, login):
    past = utcnow() - timedelta(days=1)
    session = LiveSessionFactory(starts_at=past, ends_at=past + timedelta(minutes=30))
    login(session.fan)
    html = client.get("/dashboard/").get_data(as_text=True)
    row = html[html.index(f'id="session-{session.id}-title"') :]
    assert "Not held" in row.split("</li>")[0] and "Confirmed" not in row.split("</li>")[0]
