"""The "Add to calendar" links on the confirmation pages and in the confirmation email, and the .ics behind it.

Three links each: our .ics download (signed-in participants only), Google Calendar and Outlook on
the web. The last two go to third parties, so they carry the session page and never a join link.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import vobject

from kendama.extensions import db, mail
from kendama.models import LiveSession, utcnow
from kendama.services.booking import lifecycle
from kendama.services.notifications import outbox
from kendama.services.timezones import iso_utc
from kendama.tasks.queue import dispatch_committed

from ..conftest import recipient
from ..support.booking_helpers import mark_paid, weekday_at
from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/deeplink/compose"
# What a machine writes (ISO 8601, or iCalendar's basic form): never for people to read.
RAW_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{8}T\d{6}Z")


def hrefs(page: str) -> dict[str, str]:
    """Each link's text (tags and spaces squeezed) to its address, unescaped."""
    found = re.findall(r'<a\s[^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, re.DOTALL)
    return {" ".join(re.sub(r"<[^>]+>", " ", text).split()): html_lib.unescape(url) for url, text in found}


def visible_text(page: str) -> str:
    body = page.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def assert_third_party_links(google: str, outlook: str, session: LiveSession, other_name: str) -> None:
    """The Google and Outlook links: the event's title and UTC times, the session page, no secrets."""
    page = f"http://localhost/sessions/{session.id}/booked"
    start, end = session.starts_at, session.ends_at
    assert google.startswith(GOOGLE + "?") and outlook.startswith(OUTLOOK + "?")
    g, o = query(google), query(outlook)
    assert g["action"] == ["TEMPLATE"]
    assert g["text"] == o["subject"] == [f"Kendama lesson with {other_name}"]
    assert g["dates"] == [f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"]
    assert (o["path"], o["rru"]) == (["/calendar/action/compose"], ["addevent"])
    assert (o["startdt"], o["enddt"]) == ([iso_utc(start)], [iso_utc(end)])
    assert g["location"] == o["location"] == [page]
    (details,) = g["details"]
    assert o["body"] == [details] and page in details
    # Every address inside them is the session page: no join page, no signed token.
    for url in (google, outlook):
        inner = [
            found for values in query(url).values() for value in values for found in re.findall(r"https?://\S+", value)
        ]
        assert inner and set(inner) == {page}


def assert_ics_link(client, url: str, session: LiveSession, method: str = "REQUEST"):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="kendama-session-{session.id}.ics"'
    assert "no-store" in response.headers["Cache-Control"]
    calendar = vobject.readOne(response.get_data(as_text=True), validate=True)
    assert calendar.method.value == method
    (event,) = calendar.vevent_list
    assert event.uid.value == f"session-{session.id}@localhost"
    assert event.dtstart.value == session.starts_at and event.dtend.value == session.ends_at
    return event


def form_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


# --- The pages ----------------------------------------------------------------------------


def test_the_confirmation_after_a_free_booking_offers_the_three_links(client, login):
    fan = FanFactory(timezone="America/New_York")
    player = PlayerFactory(display_name='Ava "Spike" O\'Neil & Co')
    login(fan)
    start = weekday_at(10)
    day = start.astimezone(ZoneInfo("Europe/Prague")).date().isoformat()  # the player's days are Prague's
    page = client.get(f"/players/{player.id}/book", query_string={"duration": 30, "day": day, "from": day})
    response = client.post(
        f"/players/{player.id}/book",
        data={"csrf_token": form_token(page.get_data(as_text=True)), "duration": "30", "start": iso_utc(start)},
    )
    assert response.status_code == 303
    session = db.session.scalar(db.select(LiveSession).where(LiveSession.fan_id == fan.id))
    assert response.headers["Location"] == f"/sessions/{session.id}/booked"

    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are booked" in confirmation
    links = hrefs(confirmation)
    assert links["Download the calendar file (.ics)"] == f"/sessions/{session.id}/calendar.ics"
    assert_third_party_links(
        links["Add to Google Calendar"], links["Add to Outlook.com calendar"], session, player.display_name
    )
    assert 'href="https://calendar.google.com/calendar/render?action=TEMPLATE&amp;text=' in confirmation
    assert "Add to your calendar</h2>" in confirmation
    # No new-tab links, so nothing to announce; the .ics link is a plain download.
    assert 'target="_blank"' not in confirmation
    # Times for people are in the fan's zone; the machine forms stay inside the link addresses.
    text = visible_text(confirmation)
    assert "(America/New_York)" in text
    assert not RAW_TIME.search(text)

    event = assert_ics_link(client, links["Download the calendar file (.ics)"], session)
    assert event.summary.value == f"Kendama session with {player.display_name}"


def test_the_return_from_checkout_offers_the_links_once_paid(client, login):
    fan = FanFactory()
    player = PlayerFactory(setup__paid=True, display_name="Leo")
    login(fan)
    session = lifecycle.create_session(fan, player.id, weekday_at(11), 30)

    waiting = client.get(f"/sessions/{session.id}/payment").get_data(as_text=True)
    assert "Add to Google Calendar" not in waiting  # not booked yet: nothing to add

    mark_paid(session)
    for url in (f"/sessions/{session.id}/payment", f"/sessions/{session.id}/payment/status"):
        page = client.get(url, headers={"HX-Request": "true"} if url.endswith("/status") else {})
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert "Payment received" in body
        links = hrefs(body)
        assert links["Download the calendar file (.ics)"] == f"/sessions/{session.id}/calendar.ics"
        assert_third_party_links(links["Add to Google Calendar"], links["Add to Outlook.com calendar"], session, "Leo")
        assert "Add to your calendar</h3>" in body  # under the card's own h2
        assert not RAW_TIME.search(visible_text(body))


def test_the_player_sees_links_named_after_the_fan_and_an_admin_sees_none(client, login):
    session = LiveSessionFactory(fan__display_name="Fiona", player__display_name="Pavel")

    login(session.player)
    links = hrefs(client.get(f"/sessions/{session.id}/booked").get_data(as_text=True))
    assert_third_party_links(links["Add to Google Calendar"], links["Add to Outlook.com calendar"], session, "Fiona")
    assert_ics_link(client, links["Download the calendar file (.ics)"], session)

    login(AdminFactory())
    page = client.get(f"/sessions/{session.id}/booked").get_data(as_text=True)
    assert "Add to your calendar" not in page and "/calendar.ics" not in page


def test_a_session_waiting_for_payment_or_cancelled_has_no_links(client, login):
    fan = FanFactory()
    login(fan)
    held = lifecycle.create_session(fan, PlayerFactory(setup__paid=True).id, weekday_at(12), 30)
    assert "Add to your calendar" not in client.get(f"/sessions/{held.id}/booked").get_data(as_text=True)
    cancelled = LiveSessionFactory(fan=fan, status="cancelled", ics_sequence=1)
    assert "Add to your calendar" not in client.get(f"/sessions/{cancelled.id}/booked").get_data(as_text=True)
    # The download still answers, with the cancellation, so a calendar that has the event drops it.
    event = assert_ics_link(client, f"/sessions/{cancelled.id}/calendar.ics", cancelled, method="CANCEL")
    assert event.status.value == "CANCELLED"


def test_the_download_is_only_for_the_sessions_participants(client, login):
    session = LiveSessionFactory()
    url = f"/sessions/{session.id}/calendar.ics"
    assert client.get(url).status_code == 302  # to the sign-in page
    login(FanFactory())
    assert client.get(url).status_code == 404
    login(AdminFactory())
    assert client.get(url).status_code == 403
    login(session.fan)
    assert client.get(url).status_code == 200


# --- The email ----------------------------------------------------------------------------


def _confirmations(session) -> dict[str, object]:
    with mail.record_messages() as sent:
        outbox.on_confirmed(session)
        db.session.commit()
        dispatch_committed()
    return {recipient(m): m for m in sent}


def test_the_confirmation_email_carries_the_three_links_in_both_parts(client, login):
    # Inside the reminder's lead time, so this email also carries the signed join link: the
    # calendar links must still not.
    start = (utcnow() + timedelta(minutes=40)).replace(microsecond=0)
    session = LiveSessionFactory(
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        fan__display_name="Fiona",
        player__display_name="Zoë <Pavel> & Sons",
    )
    messages = _confirmations(session)

    for user, other in ((session.fan, session.player), (session.player, session.fan)):
        message = messages[user.email]
        links = hrefs(message.html)
        ics_url = f"http://localhost/sessions/{session.id}/calendar.ics"
        assert links["Download the calendar file (.ics)"] == ics_url
        google, outlook = links["Add to Google Calendar"], links["Add to Outlook.com calendar"]
        assert_third_party_links(google, outlook, session, other.display_name)
        (join,) = [url for url in links.values() if "/join?t=" in url]  # the join link is there, elsewhere
        token = query(join)["t"][0]
        assert token not in google and token not in outlook
        # The text part: the same three addresses, written out.
        assert f"- Add to Google Calendar: {google}\n" in message.body
        assert f"- Add to Outlook.com calendar: {outlook}\n" in message.body
        assert f"sign in first): {ics_url}\n" in message.body
        assert "The attached invitation (invitation.ics) adds the session to your calendar." in message.body
        assert not RAW_TIME.search(visible_text(message.html))
        assert not RAW_TIME.search(re.sub(r"https?://\S+", "", message.body))

    # The emailed .ics address works once its recipient signs in.
    login(session.fan)
    assert_ics_link(client, f"/sessions/{session.id}/calendar.ics", session)
