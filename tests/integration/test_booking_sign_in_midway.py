"""A visitor who chooses a lesson and then signs in (or creates an account) keeps their choices.

They are kept in the session, never in an address; the booking page comes back filled in and
says so, and nothing is booked until the fan presses "Book this time" once more.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from kendama.blueprints.booking import kept
from kendama.extensions import db
from kendama.models import LiveSession, utcnow
from kendama.services.booking import lifecycle
from kendama.services.timezones import iso_utc

from ..support.account_helpers import confirm, confirmation_path, register_on_page
from ..support.booking_helpers import weekday_at
from ..support.factories import PASSWORD, FanFactory, PlayerFactory
from .test_html_booking import day_query, form_token, slot_values

pytestmark = pytest.mark.both_databases

NOTE = "Working on lighthouse; my left hand is weak."
KEPT = "We kept your choices; check them and press Book this time."


def choose_as_visitor(client, player, start, **extra):
    """A visitor picks length, day and time, writes a note, consents and presses a button of the form."""
    query = day_query(start)
    page = client.get(f"/players/{player.id}/book", query_string=query).get_data(as_text=True)
    assert iso_utc(start) in slot_values(page)
    data = {
        "csrf_token": form_token(page),
        "start": iso_utc(start),
        "notes": NOTE,
        "recording_consent": "y",
        **query,
        **extra,
    }
    return client.post(f"/players/{player.id}/book", data=data)


def checked_start(html: str) -> str | None:
    found = re.search(r'name="start" id="slot-\d+" value="([^"]+)" checked', html)
    return found.group(1) if found else None


def sessions_of(fan) -> list[LiveSession]:
    return list(db.session.scalars(db.select(LiveSession).where(LiveSession.fan_id == fan.id)))


def sign_in_at(client, location: str, fan):
    """The sign-in form posts to its own address, as a browser does, `next` included."""
    token = form_token(client.get(location).get_data(as_text=True))
    return client.post(location, data={"email": fan.email, "password": PASSWORD, "csrf_token": token})


def test_signing_in_midway_keeps_every_choice_and_one_press_books(client):
    fan, player = FanFactory(), PlayerFactory()
    start = weekday_at(10)
    pressed = choose_as_visitor(client, player, start)
    assert pressed.status_code == 303
    to_sign_in = pressed.headers["Location"]
    assert urlsplit(to_sign_in).path == "/login"
    assert "lighthouse" not in to_sign_in  # the note never travels in an address
    back = parse_qs(urlsplit(to_sign_in).query)["next"][0]
    assert urlsplit(back).path == f"/players/{player.id}/book"

    signed_in = sign_in_at(client, to_sign_in, fan)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == back
    assert sessions_of(fan) == []  # nothing is booked without the fan's press
    html = client.get(back).get_data(as_text=True)
    assert KEPT in html
    assert checked_start(html) == iso_utc(start)
    assert NOTE in html
    assert re.search(r'<input\b(?=[^>]*\bchecked\b)[^>]*\bid="recording_consent"', html)
    assert re.search(r'id="duration-30" value="30" checked', html)

    booked = client.post(
        f"/players/{player.id}/book",
        data={
            "csrf_token": form_token(html),
            "start": checked_start(html),
            "notes": NOTE,
            "recording_consent": "y",
            **day_query(start),
        },
    )
    assert booked.status_code == 303 and "/booked" in booked.headers["Location"]
    (session,) = sessions_of(fan)
    assert session.starts_at == start and session.notes == NOTE and session.fan_recording_consent


def test_creating_an_account_midway_keeps_the_choices(client):
    player = PlayerFactory()
    start = weekday_at(11)
    pressed = choose_as_visitor(client, player, start, account="register")
    assert pressed.status_code == 303
    to_register = pressed.headers["Location"]
    assert urlsplit(to_register).path == "/register" and "lighthouse" not in to_register
    back = parse_qs(urlsplit(to_register).query)["next"][0]
    registered, sent = register_on_page(client, "nia.midway@example.com", "long-enough-pw", url=to_register)
    assert registered.status_code == 303 and "lighthouse" not in confirmation_path(sent)
    # The link in the email, opened in the same browser, finishes the account and leads back.
    created = confirm(client, confirmation_path(sent), "long-enough-pw")
    assert created.status_code == 303 and created.headers["Location"] == back
    html = client.get(back).get_data(as_text=True)
    assert KEPT in html and checked_start(html) == iso_utc(start) and NOTE in html


def test_the_sign_in_and_account_pages_pass_the_way_back_to_each_other(client):
    player = PlayerFactory()
    to_sign_in = choose_as_visitor(client, player, weekday_at(10), account="login").headers["Location"]
    assert urlsplit(to_sign_in).path == "/login"
    back = parse_qs(urlsplit(to_sign_in).query)["next"][0]
    login_page = client.get(to_sign_in).get_data(as_text=True)
    register_link = re.search(r'New here\? <a href="([^"]+)"', login_page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(register_link).query)["next"] == [back]
    register_page = client.get(register_link).get_data(as_text=True)
    login_link = re.search(r'Already have an account\? <a href="([^"]+)"', register_page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(login_link).query)["next"] == [back]


def test_a_kept_time_taken_meanwhile_is_said_and_the_open_times_are_shown(client):
    fan, player = FanFactory(), PlayerFactory()
    start = weekday_at(10)
    to_sign_in = choose_as_visitor(client, player, start).headers["Location"]
    lifecycle.create_session(FanFactory(), player.id, start, 30)  # someone else was faster
    back = sign_in_at(client, to_sign_in, fan).headers["Location"]
    html = client.get(back).get_data(as_text=True)
    assert "was taken while you were signing in" in html and 'id="error-summary"' in html
    assert checked_start(html) is None
    assert iso_utc(start) not in slot_values(html) and iso_utc(weekday_at(11)) in slot_values(html)
    assert NOTE in html  # the rest is still kept


def test_kept_choices_are_for_one_player_and_a_short_while(client, monkeypatch):
    fan, player, other = FanFactory(), PlayerFactory(), PlayerFactory()
    to_sign_in = choose_as_visitor(client, player, weekday_at(10)).headers["Location"]
    back = sign_in_at(client, to_sign_in, fan).headers["Location"]
    # Another player's booking page shows none of it, and the kept choices are gone after.
    elsewhere = client.get(f"/players/{other.id}/book", query_string=day_query(weekday_at(10))).get_data(as_text=True)
    assert KEPT not in elsewhere and NOTE not in elsewhere
    html = client.get(back).get_data(as_text=True)
    assert KEPT not in html and NOTE not in html and checked_start(html) is None

    # Hours later, the same player's page shows none of it either.
    client.post("/logout", data={"csrf_token": form_token(html)})
    to_sign_in = choose_as_visitor(client, player, weekday_at(10)).headers["Location"]
    back = sign_in_at(client, to_sign_in, fan).headers["Location"]
    later = utcnow() + kept.KEPT_FOR + timedelta(minutes=1)
    monkeypatch.setattr(kept, "utcnow", lambda: later)
    html = client.get(back).get_data(as_text=True)
    assert KEPT not in html and NOTE not in html and checked_start(html) is None

    # Shown once: coming back to the page later does not fill it in again.
    monkeypatch.undo()
    client.post("/logout", data={"csrf_token": form_token(html)})
    to_sign_in = choose_as_visitor(client, player, weekday_at(10)).headers["Location"]
    back = sign_in_at(client, to_sign_in, fan).headers["Location"]
    assert KEPT in client.get(back).get_data(as_text=True)
    assert KEPT not in client.get(back).get_data(as_text=True)


def test_a_note_too_long_for_the_session_cookie_is_not_kept_and_the_page_says_so(client):
    """Browsers drop cookies over 4 KB (and with it the sign-in): the rest is kept, the note is not."""
    fan, player = FanFactory(), PlayerFactory()
    # Within the form's 2000 characters, but random ideographs: they do not compress, and overflow the cookie.
    pick = random.Random(13)
    long_note = "".join(chr(pick.randrange(0x4E00, 0xA000)) for _ in range(2000))
    to_sign_in = choose_as_visitor(client, player, weekday_at(10), notes=long_note).headers["Location"]
    back = sign_in_at(client, to_sign_in, fan).headers["Location"]
    assert len(client.get_cookie("session").value) < 4000
    html = client.get(back).get_data(as_text=True)
    assert "Your note was too long to keep; please write it again." in html
    assert checked_start(html) == iso_utc(weekday_at(10)) and long_note[:20] not in html
    assert len(client.get_cookie("session").value) < 4000
