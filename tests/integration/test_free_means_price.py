"""Free is a price: availability is "open" or "available", so a paid player is never "free".

The pages a fan meets on the way to booking a paid player are rendered and every text a person
reads or hears (text, labels, live-region announcements) is scanned; "free" may appear only as a
price (the "Free" price, the free-or-paid filter).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kendama.extensions import db
from kendama.models import SessionAvailability
from kendama.services.booking import lifecycle
from kendama.services.timezones import iso_utc

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, PlayerFactory
from .test_html_booking import day_query, form_token

pytestmark = pytest.mark.both_databases

# Read out or shown to people; class names and addresses are not.
SPOKEN_ATTRIBUTES = {"aria-label", "data-announce", "title", "alt", "placeholder", "value"}
FREE = re.compile(r"\bfree\b", re.IGNORECASE)
# The price senses: the "Free" price itself, and the free-or-paid filter and its options.
PRICE_SENSES = re.compile(r"^\s*Free\s*$|\bFree or paid\b|\bFree sessions\b", re.IGNORECASE)
EMAILS = Path(__file__).resolve().parents[2] / "kendama" / "templates" / "email"
HTMX = {"HX-Request": "true"}


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skipping += 1
        self.texts.extend(value for name, value in attrs if name in SPOKEN_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.texts.append(data)


def not_a_price(html: str) -> list[str]:
    """The texts of a page that say "free" other than as a price."""
    parser = _Texts()
    parser.feed(html)
    return [text.strip() for text in parser.texts if FREE.search(PRICE_SENSES.sub("", text))]


def page(client, path: str, **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_a_paid_players_pages_say_open_not_free(client, login):
    player = PlayerFactory(setup__paid=True)
    unavailable = PlayerFactory(setup__paid=True)
    db.session.get(SessionAvailability, unavailable.id).windows = []  # no open times at all
    db.session.commit()
    query = day_query(weekday_at(10))
    past_the_window = (date.today() + timedelta(days=90)).isoformat()  # the window is 60 days
    pages = {
        "listing": page(client, "/players"),
        "listing, open this week": page(client, "/players", query_string={"week": "y", "price": "paid"}),
        "listing fragment": page(client, "/players", query_string={"price": "paid"}, headers=HTMX),
        "profile": page(client, f"/players/{player.id}"),
        "profile, no open times": page(client, f"/players/{unavailable.id}"),
        "booking page": page(client, f"/players/{player.id}/book", query_string=query),
        "days fragment": page(client, f"/players/{player.id}/book/days", query_string=query, headers=HTMX),
        "slots fragment": page(client, f"/players/{player.id}/book/slots", query_string=query, headers=HTMX),
        "days past the window": page(
            client, f"/players/{player.id}/book/days", query_string={"from": past_the_window}, headers=HTMX
        ),
    }
    login(FanFactory())
    form = page(client, f"/players/{player.id}/book", query_string=query)
    lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 30)  # someone else is faster
    taken = client.post(
        f"/players/{player.id}/book",
        data={"csrf_token": form_token(form), "duration": "30", "start": iso_utc(weekday_at(10)), **query},
    )
    assert taken.status_code == 409
    pages["slot taken"] = taken.get_data(as_text=True)

    assert "No open times between" in pages["days past the window"]  # the scan reads what it should
    assert {name: found for name, html in pages.items() if (found := not_a_price(html))} == {}


def test_emails_say_open_not_free():
    """Email templates too (their Jinja is text to this scan; the price senses of emails are allowed)."""
    price_senses = re.compile(r"\bfree sessions\b|\bwas free\b", re.IGNORECASE)
    found = {
        path.name: [line.strip() for line in path.read_text().splitlines() if FREE.search(price_senses.sub("", line))]
        for path in sorted(EMAILS.iterdir())
    }
    assert {name: lines for name, lines in found.items() if lines} == {}
