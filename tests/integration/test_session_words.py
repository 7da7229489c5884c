"""Words about a session follow its status and who reads them (fan, player, admin)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kendama.extensions import db
from kendama.models import utcnow

from ..support.factories import AdminFactory, LiveSessionFactory

pytestmark = pytest.mark.both_databases


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def heading(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1))).strip()


def dashboard_row_html(html: str, session_id: int) -> str:
    """The markup of one session's row on the dashboard."""
    chunk = next(part for part in html.split('<li class="session"') if f'id="session-{session_id}-title"' in part)
    return re.split(r"</div>\s*</li>", chunk)[0]


def dashboard_row(html: str, session_id: int) -> str:
    """The text of one session's row on the dashboard."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dashboard_row_html(html, session_id)))


def recorded_session(**kwargs):
    return LiveSessionFactory(fan_recording_consent=True, player_recording_consent=True, **kwargs)


def test_a_cancelled_session_is_not_called_recorded_on_the_dashboard(client, login):
    cancelled = recorded_session(status="cancelled", cancelled_by_role="fan")
    cancelled.cancelled_by_id = cancelled.fan_id
    db.session.commit()
    confirmed = recorded_session(fan=cancelled.fan, starts_at=cancelled.starts_at.replace(hour=12))
    login(cancelled.fan)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "recorded" not in dashboard_row(html, cancelled.id)
    assert "cancelled by you" in dashboard_row(html, cancelled.id)
    assert "· will be recorded" in dashboard_row(html, confirmed.id)


def test_an_admin_looking_at_a_cancelled_session_reads_what_happened_and_finds_the_console(client, login):
    session = recorded_session(status="cancelled", cancelled_by_role="player", cancellation_reason="Ill")
    session.cancelled_by_id = session.player_id
    db.session.commit()
    login(AdminFactory())
    html = client.get(f"/sessions/{session.id}/booked").get_data(as_text=True)
    assert title(html).startswith("Session cancelled")
    assert heading(html) == "Session cancelled"
    assert "Cancelled by the player" in html and "Ill" in html
    assert "will be recorded" not in html and "Not recorded: the session was cancelled." in html
    assert "Go to your dashboard" not in html and "Booked" not in title(html)
    assert re.search(r'<a href="/admin/">(<span aria-hidden="true">← </span>)?Admin console</a>', html)


def test_a_fan_and_a_player_each_read_the_confirmed_session_in_their_own_words(client, login):
    session = recorded_session()
    login(session.fan)
    html = client.get(f"/sessions/{session.id}/booked").get_data(as_text=True)
    assert heading(html) == "You are booked" and title(html).startswith("Booked")
    assert "Both of you agreed; the session will be recorded." in html
    assert "Go to your dashboard" in html and "Admin console" not in html

    login(session.player)
    html = client.get(f"/sessions/{session.id}/booked").get_data(as_text=True)
    assert heading(html) == f"{session.fan.display_name} booked a session with you"
    assert "You are booked" not in html and "Go to your dashboard" in html


def test_one_sided_consent_is_told_from_the_readers_side(client, login):
    session = LiveSessionFactory(fan_recording_consent=True)
    login(session.player)
    html = client.get(f"/sessions/{session.id}/booked").get_data(as_text=True)
    assert f"{session.fan.display_name} agreed; it is recorded only if you agree too." in html


# --- Joining the call and recording consent are two things, each named -----------------------


def links(row_html: str) -> dict[str, str]:
    """The row's links: visible text (without the screen-reader suffix) -> address."""
    found = re.findall(
        r'<a[^>]*href="([^"]+)"[^>]*>([^<]*)(?:<span class="visually-hidden">[^<]*</span>)?</a>', row_html
    )
    return {text.strip(): href for href, text in found}


def test_before_the_room_opens_the_row_offers_recording_consent_not_a_join(client, login):
    session = LiveSessionFactory(starts_at=utcnow().replace(microsecond=0) + timedelta(hours=3))
    login(session.fan)
    row = links(dashboard_row_html(client.get("/dashboard/").get_data(as_text=True), session.id))
    assert "Join the call" not in row
    assert row["Recording consent"] == f"/sessions/{session.id}/join#consent-title"


def test_while_the_room_is_open_the_row_offers_joining_and_consent_separately(client, login):
    session = LiveSessionFactory(starts_at=utcnow().replace(microsecond=0) + timedelta(minutes=5))
    login(session.fan)
    row = links(dashboard_row_html(client.get("/dashboard/").get_data(as_text=True), session.id))
    assert row["Join the call"] == f"/sessions/{session.id}/join"
    assert row["Recording consent"] == f"/sessions/{session.id}/join#consent-title"
