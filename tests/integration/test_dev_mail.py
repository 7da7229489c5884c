"""The development outbox: messages stored as files, shown at /dev/mail as they would be received."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar

from kendama.extensions import db
from kendama.integrations import mail as mail_adapter
from kendama.services.notifications import outbox as notifications
from kendama.services.timezones import iso_utc
from kendama.tasks.queue import dispatch_committed

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "DEV_MAIL_PAGES", True)
    return tmp_path


def confirm_a_booking():
    session = LiveSessionFactory()
    notifications.on_confirmed(session)
    db.session.commit()
    dispatch_committed()
    return session


def test_dev_mail_is_not_served_in_testing_or_production(app, client, monkeypatch):
    assert client.get("/dev/mail/").status_code == 404
    monkeypatch.setitem(app.config, "DEV_MAIL_PAGES", True)
    monkeypatch.setitem(app.config, "PRODUCTION", True)
    assert client.get("/dev/mail/").status_code == 404


def test_outbox_files_survive_and_are_listed(client, outbox):
    session = confirm_a_booking()
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    stored = mail_adapter.stored_messages()
    assert {m.to for m in stored} == {
        f"{session.fan.display_name} <{session.fan.email}>",
        f"{session.player.display_name} <{session.player.email}>",
    }
    page = client.get("/dev/mail/").get_data(as_text=True)
    assert page.count("Confirmed: kendama session with") == 2


def test_a_message_is_shown_with_its_html_sandboxed_text_and_attachment(client, outbox):
    session = confirm_a_booking()
    key = next(m.key for m in mail_adapter.stored_messages() if session.fan.email in m.to)
    response = client.get(f"/dev/mail/{key}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>" not in page and 'style="' not in page  # the app's CSP allows neither
    assert '<iframe class="mail-preview" title="HTML version of' in page
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page
    assert "As plain text" in page and "Joining: the video room opens" in page

    html = client.get(f"/dev/mail/{key}/html")
    assert html.status_code == 200 and "<h1>" in html.get_data(as_text=True)
    csp = html.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"

    link = re.search(r'href="(/dev/mail/[^"]+/attachments/1)"', page).group(1)
    download = client.get(link)
    assert download.headers["Content-Disposition"] == 'attachment; filename="invitation.ics"'
    (event,) = Calendar.from_ical(download.data).walk("VEVENT")
    assert str(event["UID"]) == f"session-{session.id}@localhost"


@pytest.mark.parametrize("key", ["missing.eml", "..%2Fsecret_key", ".incoming-x.eml", "notmail.txt"])
def test_unknown_or_unsafe_keys_are_404(client, outbox, key):
    assert client.get(f"/dev/mail/{key}").status_code == 404


def test_a_booking_through_the_api_lands_in_the_outbox_with_a_valid_invitation(client, api_token, outbox):
    player, fan = PlayerFactory(), FanFactory()
    start = weekday_at(10)
    response = client.post(
        "/api/sessions",
        headers=api_token(fan),
        json={"player_id": player.id, "start": iso_utc(start), "duration_minutes": 30, "recording_consent": False},
    )
    assert response.status_code == 201, response.json
    stored = {m.to: m for m in mail_adapter.stored_messages()}
    message = stored[f"{fan.display_name} <{fan.email}>"]
    assert message.subject.startswith(f"Confirmed: kendama session with {player.display_name}")
    ((filename, content_type, data),) = message.attachments()
    assert (filename, content_type) == ("invitation.ics", "text/calendar")
    calendar = Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == f"session-{response.json['id']}@localhost"
    assert event.decoded("DTSTART") == start
