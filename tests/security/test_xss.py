"""Stored XSS: whatever users write is escaped on every page and email that shows it.

Every text field a user (or an outside calendar) can fill holds a script tag naming the field:
display names, bio, booking notes, cancellation reason, feedback comment, the calendar address
and its sync error (an admin's verification note is shown nowhere). Each page of each kind of viewer, and the
emails, must show them as text: the tag never appears raw, and each field is seen escaped
somewhere (so the walk really looked at it).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from kendama.extensions import db, mail
from kendama.models import Profile, utcnow
from kendama.services import feedback
from kendama.services.accounts import sign_ins
from kendama.services.booking import lifecycle, rollout
from kendama.services.notifications import outbox
from kendama.tasks.queue import dispatch_committed

from ..support.booking_helpers import mark_paid, weekday_at
from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

FIELDS = (
    "player_name",
    "fan_name",
    "bio",
    "notes",
    "reason",
    "comment",
    "calendar_url",
    "calendar_error",
)
RAW = '<script>alert("'  # how every payload begins


def payload(field: str) -> str:
    return f'<script>alert("{field}")</script>'


def escaped(field: str) -> str:
    return f"&lt;script&gt;alert(&#34;{field}&#34;)&lt;/script&gt;"


@pytest.fixture
def world():
    """A player, a fan and an admin whose every written text is a script, and sessions that show it."""
    player = PlayerFactory(display_name=payload("player_name"))
    fan = FanFactory(display_name=payload("fan_name"))
    admin = AdminFactory()
    profile = db.session.get(Profile, player.id)
    profile.bio = payload("bio")
    profile.calendar_import_url = f"https://calendar.example/{payload('calendar_url')}.ics"
    profile.calendar_sync_error = payload("calendar_error")
    upcoming = LiveSessionFactory(
        fan=fan,
        player=player,
        starts_at=weekday_at(10, days_ahead=4),
        price_amount=2500,
        platform_fee_amount=375,
        player_share_amount=2125,
        notes=payload("notes"),
    )
    upcoming.ends_at = upcoming.blocked_until = upcoming.starts_at + timedelta(minutes=30)
    mark_paid(upcoming)  # a receipt, and the player's earnings, to look at
    cancelled = LiveSessionFactory(fan=fan, player=player, starts_at=weekday_at(12, days_ahead=5))
    cancelled.ends_at = cancelled.blocked_until = cancelled.starts_at + timedelta(minutes=30)
    past_start = (utcnow() - timedelta(days=2)).replace(microsecond=0)
    past = LiveSessionFactory(
        fan=fan,
        player=player,
        starts_at=past_start,
        ends_at=past_start + timedelta(minutes=30),
        blocked_until=past_start + timedelta(minutes=30),
        status="completed",
        completed_at=past_start + timedelta(minutes=30),
    )
    db.session.commit()
    lifecycle.cancel(fan, cancelled.id, payload("reason"))
    feedback.leave_feedback(fan, past.id, 5, payload("comment"))
    rollout.add_to_allowlist(admin, fan.email)
    db.session.commit()
    return {"player": player, "fan": fan, "admin": admin, "upcoming": upcoming, "cancelled": cancelled, "past": past}


def pages(world) -> dict[str, list[str]]:
    upcoming, cancelled, past, player = world["upcoming"], world["cancelled"], world["past"], world["player"]
    session_pages = [
        "/dashboard/",
        f"/sessions/{upcoming.id}/booked",
        f"/sessions/{cancelled.id}/booked",
        f"/sessions/{upcoming.id}/join",
        f"/dashboard/sessions/{upcoming.id}/cancel",
        f"/dashboard/sessions/{upcoming.id}/reschedule",
        f"/sessions/{upcoming.id}/payment/status",
    ]
    return {
        "anonymous": ["/", "/players", f"/players/{player.id}", f"/players/{player.id}/book"],
        "fan": [
            *session_pages,
            f"/dashboard/sessions/{upcoming.id}/receipt",
            f"/sessions/{past.id}/booked",
            "/account",
            "/players",
            f"/players/{player.id}",
        ],
        "player": [
            *session_pages,
            "/dashboard/profile",
            "/dashboard/calendar",
            "/dashboard/calendar/status",
            "/dashboard/earnings",
            "/account",
        ],
        "admin": [
            "/admin/",
            "/admin/sessions",
            f"/admin/sessions?person={player.email}",
            "/admin/feedback",
            "/admin/rollout",
            "/admin/payments",
            "/admin/recordings",
            f"/sessions/{upcoming.id}/booked",
        ],
    }


def test_what_users_write_is_escaped_on_every_page(app, world):
    seen_escaped: set[str] = set()
    raw = []
    for viewer, paths in pages(world).items():
        client = app.test_client() if viewer == "anonymous" else signed_in(app, world[viewer])
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, f"{viewer} {path}: {response.status_code}"
            html = response.get_data(as_text=True)
            if RAW in html:
                raw.append(f"{viewer} {path}")
            seen_escaped |= {field for field in FIELDS if escaped(field) in html}
    assert raw == [], "a script users wrote reaches a page unescaped"
    assert sorted(set(FIELDS) - seen_escaped) == [], "fields no page showed (the walk missed them)"


def signed_in(app, user):
    """A client whose cookie session is the user's (as the authorization matrix's visitors are)."""
    client = app.test_client()
    with client.session_transaction() as cookie_session:
        cookie_session["_user_id"] = sign_ins.begin(user.id)
        cookie_session["_fresh"] = True
    return client


def test_what_users_write_is_escaped_in_every_email(world):
    upcoming, cancelled = world["upcoming"], world["cancelled"]
    with mail.record_messages() as sent:
        outbox.on_confirmed(upcoming)
        outbox.on_cancelled(cancelled)
        outbox.on_recording_ready(upcoming)
        db.session.commit()
        dispatch_committed()
    assert len(sent) >= 6
    shown = set()
    for message in sent:
        assert RAW not in message.html, message.subject
        shown |= {field for field in FIELDS if escaped(field) in message.html}
    assert {"player_name", "fan_name", "notes"} <= shown
