"""The booking pages through the test client: real forms, real CSRF tokens, htmx fragments."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from kendama.extensions import db
from kendama.models import LiveSession, SessionAvailability
from kendama.services.booking import lifecycle, rollout
from kendama.services.timezones import iso_utc

from ..conftest import csrf_token_from
from ..support.booking_helpers import mark_paid, weekday_at
from ..support.factories import AdminFactory, FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

INLINE = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\sstyle=", re.IGNORECASE)


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def slot_values(html: str) -> list[str]:
    return re.findall(r'name="start" id="slot-\d+" value="([^"]+)"', html)


def without_csrf(html: str) -> str:
    return re.sub(r'(name="csrf_token" type="hidden" value=")[^"]*"', r'\1"', html)


def day_query(start) -> dict:
    """The picker's query string for the local (Prague) day of `start`."""
    day = start.astimezone(ZoneInfo("Europe/Prague")).date().isoformat()
    return {"duration": 30, "day": day, "from": day}


def test_booking_page_steps_are_accessible_and_csp_clean(client):
    player = PlayerFactory()
    html = client.get(f"/players/{player.id}/book", query_string=day_query(weekday_at(10))).get_data(as_text=True)
    assert "<legend>1. Choose a length</legend>" in html
    assert "<legend>3. Choose a time on" in html and 'type="radio" name="start"' in html
    assert "Times are shown in <strong>UTC</strong>" in html  # anonymous, no zone cookie
    assert 'data-announce="' in html
    assert not INLINE.search(html)


def test_times_are_shown_in_the_viewers_zone(client, login):
    player = PlayerFactory()
    login(FanFactory(timezone="Pacific/Kiritimati"))
    # A day a few days ahead, so no minimum notice hides its first slot whatever the time now.
    day = weekday_at(9).astimezone(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
    html = client.get(f"/players/{player.id}/book", query_string={"duration": 30, "day": day, "from": day})
    html = html.get_data(as_text=True)
    assert "Times are shown in <strong>Pacific/Kiritimati</strong>" in html
    # 09:00 in Prague (UTC+1 in winter, +2 in summer) is 22:00 or 21:00 in UTC+14.
    assert re.search(r">2[12]:00<span", html)


def test_fragment_is_the_one_the_page_includes(client):
    player = PlayerFactory()
    query = day_query(weekday_at(10))
    page = client.get(f"/players/{player.id}/book", query_string=query).get_data(as_text=True)
    fragment = client.get(f"/players/{player.id}/book/slots", query_string=query, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.headers["HX-Push-Url"].startswith(f"/players/{player.id}/book?")
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "data-announce" in body
    # CSRF tokens are signed with a timestamp, so two requests a second apart carry different ones.
    assert without_csrf(body.strip()) in without_csrf(page)
    days = client.get(f"/players/{player.id}/book/days", query_string=query, headers={"HX-Request": "true"})
    assert without_csrf(days.get_data(as_text=True).strip()) in without_csrf(page)


def test_book_a_free_session_through_the_form(client, login):
    fan, player = FanFactory(), PlayerFactory()
    login(fan)
    page = client.get(f"/players/{player.id}/book", query_string=day_query(weekday_at(10))).get_data(as_text=True)
    start = iso_utc(weekday_at(10))
    assert start in slot_values(page)
    response = client.post(
        f"/players/{player.id}/book",
        data={
            "csrf_token": form_token(page),
            "duration": "30",
            "start": start,
            "notes": "Working on lighthouse",
            "recording_consent": "y",
            **{k: v for k, v in day_query(weekday_at(10)).items() if k != "duration"},
        },
    )
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    html = confirmation.get_data(as_text=True)
    assert "You are booked" in html and "Working on lighthouse" in html
    session = db.session.scalar(db.select(LiveSession).where(LiveSession.fan_id == fan.id))
    assert session.fan_recording_consent and iso_utc(session.starts_at) == start


def test_taken_slot_shows_409_and_fresh_slots(client, login):
    player = PlayerFactory()
    login(FanFactory())
    page = client.get(f"/players/{player.id}/book", query_string=day_query(weekday_at(10))).get_data(as_text=True)
    lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 30)  # someone is faster
    response = client.post(
        f"/players/{player.id}/book",
        data={
            "csrf_token": form_token(page),
            "duration": "30",
            "start": iso_utc(weekday_at(10)),
            **day_query(weekday_at(10)),
        },
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "that time was just taken" in html
    assert iso_utc(weekday_at(10)) not in slot_values(html) and iso_utc(weekday_at(11)) in slot_values(html)


def test_no_time_chosen_is_422(client, login):
    player = PlayerFactory()
    login(FanFactory())
    page = client.get(f"/players/{player.id}/book", query_string=day_query(weekday_at(10))).get_data(as_text=True)
    response = client.post(
        f"/players/{player.id}/book",
        data={"csrf_token": form_token(page), "duration": "30", **day_query(weekday_at(10))},
    )
    assert response.status_code == 422
    assert "Choose a time." in response.get_data(as_text=True)


def test_booking_needs_sign_in(client):
    player = PlayerFactory()
    token = csrf_token_from(client)
    response = client.post(f"/players/{player.id}/book", data={"csrf_token": token, "start": iso_utc(weekday_at(10))})
    assert response.status_code == 303 and response.headers["Location"].startswith("/login?next=")


def test_player_page_links_to_booking(client):
    player = PlayerFactory()
    html = client.get(f"/players/{player.id}").get_data(as_text=True)
    assert f'href="/players/{player.id}/book"' in html and "Next open time" in html


def test_strangers_get_404_for_sessions(client, login):
    session = lifecycle.create_session(FanFactory(), PlayerFactory().id, weekday_at(10), 30)
    login(FanFactory())
    assert client.get(f"/sessions/{session.id}/booked").status_code == 404
    assert client.get(f"/dashboard/sessions/{session.id}/cancel").status_code == 404
    assert client.get(f"/dashboard/sessions/{session.id}/reschedule").status_code == 404


# --- dashboard ----------------------------------------------------------------------------


def test_dashboard_lists_sessions_with_actions(client, login):
    fan, player = FanFactory(), PlayerFactory()
    session = lifecycle.create_session(fan, player.id, weekday_at(10), 30)
    login(fan)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Upcoming sessions" in html and player.display_name in html
    assert f"/dashboard/sessions/{session.id}/cancel" in html
    assert f"/dashboard/sessions/{session.id}/reschedule" in html
    assert not INLINE.search(html)


def test_cancel_shows_the_refund_before_confirming(client, login):
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory(setup__paid=True).id, weekday_at(10), 30)
    mark_paid(session)
    login(fan)
    page = client.get(f"/dashboard/sessions/{session.id}/cancel").get_data(as_text=True)
    assert "Refund if you cancel now: USD 25.00" in page
    assert "full refund." in page and "None" not in page  # why, in the policy's words
    response = client.post(
        f"/dashboard/sessions/{session.id}/cancel", data={"csrf_token": form_token(page), "reason": "Sick"}
    )
    assert response.status_code == 303
    assert "refund of USD 25.00" in client.get("/dashboard/").get_data(as_text=True)
    assert db.session.get(LiveSession, session.id).status == "cancelled"


def test_reschedule_through_the_dashboard(client, login):
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    login(fan)
    query = day_query(weekday_at(10))
    page = client.get(f"/dashboard/sessions/{session.id}/reschedule", query_string=query).get_data(as_text=True)
    assert "Move the session to this time" in page
    # The session's own time does not block moving it by a quarter of an hour.
    assert iso_utc(weekday_at(10, 15)) in slot_values(page)
    fragment = client.get(
        f"/dashboard/sessions/{session.id}/reschedule/slots", query_string=query, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert without_csrf(fragment.strip()) in without_csrf(page)
    response = client.post(
        f"/dashboard/sessions/{session.id}/reschedule",
        data={"csrf_token": form_token(page), "start": iso_utc(weekday_at(14)), **query},
    )
    assert response.status_code == 303
    moved = db.session.get(LiveSession, session.id)
    assert moved.starts_at == weekday_at(14) and moved.reschedule_count == 1


def test_reschedule_refused_by_policy_shows_why(client, login):
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    session.reschedule_count = 2
    db.session.commit()
    login(fan)
    page = client.get(f"/dashboard/sessions/{session.id}/reschedule", query_string=day_query(weekday_at(10)))
    html = page.get_data(as_text=True)
    assert "at most 2 times" in html
    response = client.post(
        f"/dashboard/sessions/{session.id}/reschedule",
        data={"csrf_token": form_token(html), "start": iso_utc(weekday_at(14)), **day_query(weekday_at(10))},
    )
    assert response.status_code == 409


# --- availability editor ------------------------------------------------------------------


def editor_data(html: str, **changes) -> dict:
    data = {"csrf_token": form_token(html), "timezone": "Europe/Prague", "buffer_minutes": "10"}
    data.update({"min_notice_minutes": "120", "max_days_ahead": "30"})
    for index in range(21):
        data[f"weekly-{index}-start"] = data[f"weekly-{index}-end"] = ""
    data.update(
        {"weekly-0-start": "09:00", "weekly-0-end": "12:00", "weekly-1-start": "13:00", "weekly-1-end": "00:00"}
    )
    data.update({"overrides-0-date": "2026-12-24", "overrides-0-start": "", "overrides-0-end": ""})
    data.update(changes)
    return data


def test_availability_editor_saves(client, login):
    player = PlayerFactory()
    login(player)
    page = client.get("/dashboard/availability").get_data(as_text=True)
    assert 'value="09:00"' in page and "Monday, window 1: from" in page
    response = client.post("/dashboard/availability", data=editor_data(page))
    assert response.status_code == 303
    saved = db.session.get(SessionAvailability, player.id)
    db.session.refresh(saved)
    assert saved.buffer_minutes == 10 and len(saved.windows) == 2 and len(saved.overrides) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weekly-3-start": "12:00", "weekly-3-end": "10:00"}, "The end must be after the start."),
        ({"weekly-2-start": "11:00", "weekly-2-end": "14:00"}, "This overlaps another window"),
        ({"buffer_minutes": "500"}, "from 0 to 240"),
    ],
)
def test_availability_editor_shows_rule_errors_by_the_row(client, login, changes, message):
    player = PlayerFactory()
    login(player)
    page = client.get("/dashboard/availability").get_data(as_text=True)
    response = client.post("/dashboard/availability", data=editor_data(page, **changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'id="error-summary"' in html and 'aria-invalid="true"' in html
    assert db.session.get(SessionAvailability, player.id).buffer_minutes == 0


def test_fans_have_no_availability_editor(client, login):
    login(FanFactory())
    assert client.get("/dashboard/availability").status_code == 403


def test_hold_is_explained_on_the_confirmation(app, client, login):
    fan = FanFactory()
    login(fan)
    session = lifecycle.create_session(fan, PlayerFactory(setup__paid=True).id, weekday_at(10), 30)
    html = client.get(f"/sessions/{session.id}/booked").get_data(as_text=True)
    assert "payment needed" in html and "holding this time" in html
    held = timedelta(minutes=app.config["BOOKING_HOLD_MINUTES"])
    assert abs(session.hold_expires_at - session.created_at - held) < timedelta(seconds=5)


def test_picker_steps_are_numbered_by_the_page_they_are_on(client, login):
    """The booking page starts with the length (1), so day and time are 2 and 3; the reschedule
    page has no length step, so its day and time are 1 and 2, in the page and in its fragments."""
    fan, player = FanFactory(), PlayerFactory()
    session = lifecycle.create_session(fan, player.id, weekday_at(10), 30)
    login(fan)
    query = day_query(weekday_at(10))
    book = client.get(f"/players/{player.id}/book", query_string=query).get_data(as_text=True)
    assert re.findall(r"(\d)\. Choose a (length|day|time)", book) == [("1", "length"), ("2", "day"), ("3", "time")]
    moving = f"/dashboard/sessions/{session.id}/reschedule"
    htmx = {"HX-Request": "true"}
    page = client.get(moving, query_string=query).get_data(as_text=True)
    days = client.get(f"{moving}/days", query_string=query, headers=htmx).get_data(as_text=True)
    times = client.get(f"{moving}/slots", query_string=query, headers=htmx).get_data(as_text=True)
    assert re.findall(r"(\d)\. Choose a (length|day|time)", page) == [("1", "day"), ("2", "time")]
    assert re.findall(r"(\d)\. Choose a (length|day|time)", days) == [("1", "day"), ("2", "time")]
    assert re.findall(r"(\d)\. Choose a (length|day|time)", times) == [("2", "time")]


# --- refusals -----------------------------------------------------------------------------

SUMMARY = re.compile(r'<div (?P<attrs>[^>]*\bid="error-summary"[^>]*)>(?P<text>.*?)</div>', re.DOTALL)


def refusal_shown(html: str) -> str:
    """The refusal at the top of the form, which takes the focus when the page loads (app.js)."""
    found = SUMMARY.search(html)
    assert found, "no refusal is shown"
    assert 'role="alert"' in found["attrs"] and 'tabindex="-1"' in found["attrs"]
    return " ".join(re.sub(r"<[^>]+>", " ", found["text"]).split())


def _closed(admin, fan, player):
    rollout.set_state(admin, "off")


def _beta_without_the_fan(admin, fan, player):
    rollout.set_state(admin, "beta")
    rollout.add_to_allowlist(admin, player.email)


def _taken(admin, fan, player):
    lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 30)


def _fan_busy(admin, fan, player):
    lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)


@pytest.mark.parametrize(
    ("arrange", "booker", "status", "message"),
    [
        (_closed, "fan", 403, "Live sessions are not open yet."),
        (_beta_without_the_fan, "fan", 403, "you are not on the beta list yet"),
        (_taken, "fan", 409, "that time was just taken"),
        (_fan_busy, "fan", 409, "You already have a session at that time."),
        (None, "player", 422, "You cannot book a session with yourself."),
        (None, "admin", 403, "Administrators cannot book sessions"),
    ],
)
def test_every_refusal_is_explained_at_the_form(client, login, arrange, booker, status, message):
    admin, fan, player = AdminFactory(), FanFactory(), PlayerFactory()
    query = day_query(weekday_at(10))
    login({"fan": fan, "player": player, "admin": admin}[booker])
    page = client.get(f"/players/{player.id}/book", query_string=query).get_data(as_text=True)
    if arrange:
        arrange(admin, fan, player)
    response = client.post(
        f"/players/{player.id}/book",
        data={"csrf_token": form_token(page), "duration": "30", "start": iso_utc(weekday_at(10)), **query},
    )
    assert response.status_code == status
    assert message in refusal_shown(response.get_data(as_text=True))


def test_a_player_who_cannot_take_payments_is_explained_at_the_form(client, login):
    player = PlayerFactory(setup__price=2500)  # a paid lesson, no payout account
    login(FanFactory())
    query = day_query(weekday_at(10))
    page = client.get(f"/players/{player.id}/book", query_string=query).get_data(as_text=True)
    response = client.post(
        f"/players/{player.id}/book",
        data={"csrf_token": form_token(page), "duration": "30", "start": iso_utc(weekday_at(10)), **query},
    )
    assert response.status_code == 409
    assert "This player cannot take payments right now" in refusal_shown(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("viewer", "message"),
    [
        ("outsider", "Live sessions are in a closed beta for now, and you are not on the beta list yet."),
        ("player", "You cannot book a session with yourself."),
        ("admin", "Administrators cannot book sessions; sign in with a fan account."),
    ],
)
def test_the_booking_page_says_who_cannot_book_before_the_form(client, login, viewer, message):
    admin, player = AdminFactory(), PlayerFactory()
    rollout.set_state(admin, "beta")
    rollout.add_to_allowlist(admin, player.email)
    login({"outsider": FanFactory(), "player": player, "admin": admin}[viewer])
    html = client.get(f"/players/{player.id}/book", query_string=day_query(weekday_at(10))).get_data(as_text=True)
    assert refusal_shown(html) == message
    assert slot_values(html), "the open times can still be looked at"
    assert "Book this time" not in html and 'name="notes"' not in html


def test_the_booking_page_tells_visitors_and_refuses_unpayable_lengths_before_the_form(client, login):
    admin, player = AdminFactory(), PlayerFactory()
    rollout.set_state(admin, "beta")
    query = day_query(weekday_at(10))
    html = client.get(f"/players/{player.id}/book", query_string=query).get_data(as_text=True)
    assert refusal_shown(html) == "Live sessions are in a closed beta for now, and this player is not in it yet."
    rollout.add_to_allowlist(admin, player.email)
    html = client.get(f"/players/{player.id}/book", query_string=query).get_data(as_text=True)
    # A visitor may be on the list: told, not refused (signing in tells them for sure).
    assert "only people on the beta list can book" in html and 'id="error-summary"' not in html
    assert "Book this time" in html

    rollout.set_state(admin, "everyone")
    unpayable = PlayerFactory(setup__price=2500)
    login(FanFactory())
    html = client.get(f"/players/{unpayable.id}/book", query_string=query).get_data(as_text=True)
    assert "This player cannot take payments right now" in refusal_shown(html)
    assert "Book this time" not in html
    fragment = client.get(f"/players/{unpayable.id}/book/slots", query_string=query, headers={"HX-Request": "true"})
    assert "Book this time" not in fragment.get_data(as_text=True)
