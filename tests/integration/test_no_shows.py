"""No-shows through the pages and the API: the fan reports an absent player on the session page,
the player disputes there, an admin decides with both statements and the join records in view;
the emails say what happened; the policy page states the rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import NoShowReport, Notification, Refund, utcnow
from kendama.services.notifications import emails

from ..conftest import csrf_token_from
from ..support.booking_helpers import lesson_at
from ..support.factories import AdminFactory
from .test_html_booking import form_token

pytestmark = pytest.mark.both_databases


def started(minutes_ago: int = 15, *, price: int = 4000):
    return lesson_at((utcnow() - timedelta(minutes=minutes_ago)).replace(microsecond=0), price=price)


def composed(kind: str, user_id: int):
    row = db.session.scalar(select(Notification).where(Notification.kind == kind, Notification.user_id == user_id))
    return emails.compose(row)


def test_the_fan_reports_the_player_and_the_player_disputes_on_the_session_page(client, login):
    session = started()
    login(session.fan)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert f"{session.player.display_name} did not come: report it" in page
    assert '<label for="no-show-statement">What happened (optional)</label>' in page
    response = client.post(
        f"/sessions/{session.id}/player-no-show",
        data={"csrf_token": form_token(page), "statement": "I waited twenty minutes."},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("#no-show-title")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reported. The player can dispute it" in page and "report it</button>" not in page

    message = composed("no_show_reported", session.player_id)
    assert message.subject == f"{session.fan.display_name} says you did not come to your session"
    assert "I waited twenty minutes." in message.body and f"/sessions/{session.id}/join" in message.body

    login(session.player)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert "Dispute the report</button>" in page
    empty = client.post(f"/sessions/{session.id}/no-show/dispute", data={"csrf_token": form_token(page)})
    assert empty.status_code == 303
    assert "Say what happened" in client.get(empty.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(NoShowReport.outcome)) == "open"  # the empty dispute changed nothing
    response = client.post(
        f"/sessions/{session.id}/no-show/dispute",
        data={"csrf_token": form_token(page), "statement": "My train stopped; I wrote in the chat."},
    )
    assert response.status_code == 303
    assert db.session.scalar(select(NoShowReport.outcome)) == "disputed"


def test_the_admin_decides_a_dispute_seeing_both_sides_and_the_join_records(client, login):
    session = started()
    session.fan_joined_at = session.starts_at + timedelta(minutes=1)
    db.session.commit()
    login(session.fan)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    client.post(
        f"/sessions/{session.id}/player-no-show", data={"csrf_token": form_token(page), "statement": "Empty room."}
    )
    login(session.player)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    client.post(
        f"/sessions/{session.id}/no-show/dispute", data={"csrf_token": form_token(page), "statement": "I was ill."}
    )
    report = db.session.scalar(select(NoShowReport))

    login(AdminFactory())
    page = client.get("/admin/no-shows").get_data(as_text=True)
    assert "Empty room." in page and "I was ill." in page
    assert "<dt>Player let into the call</dt><dd>Never</dd>" in page
    assert "<dt>Fan let into the call</dt><dd>Never</dd>" not in page
    assert 'href="/admin/no-shows"' in client.get("/admin/").get_data(as_text=True)

    missing = client.post(
        f"/admin/no-shows/{report.id}/resolve", data={"csrf_token": form_token(page), "decision": "refund"}
    )
    assert missing.status_code == 422 and "Say why, in a few words." in missing.get_data(as_text=True)
    assert db.session.scalar(select(Refund.id)) is None

    response = client.post(
        f"/admin/no-shows/{report.id}/resolve",
        data={"csrf_token": form_token(page), "decision": "refund", "note": "Illness is the player's absence."},
    )
    assert response.status_code == 303
    assert [(r.amount, r.reason) for r in db.session.scalars(select(Refund))] == [(4000, "player_no_show")]
    message = composed("no_show_resolved", session.fan_id)
    assert "a full refund of" in message.body and "Illness is the player's absence." in message.body
    assert (
        client.post(
            "/admin/no-shows/999999/resolve", data={"csrf_token": form_token(page), "decision": "refund", "note": "x"}
        ).status_code
        == 404
    )


def test_the_fan_cannot_report_before_ten_minutes_nor_when_the_player_joined(client, login):
    early = started(minutes_ago=5)
    login(early.fan)
    page = client.get(f"/sessions/{early.id}/join").get_data(as_text=True)
    assert "report it</button>" not in page
    response = client.post(f"/sessions/{early.id}/player-no-show", data={"csrf_token": csrf_token_from(client)})
    assert response.status_code == 303
    assert "from 10 minutes after the start" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(NoShowReport.id)) is None

    came = started()
    came.player_joined_at = came.starts_at
    db.session.commit()
    login(came.fan)
    assert "report it</button>" not in client.get(f"/sessions/{came.id}/join").get_data(as_text=True)
    response = client.post(f"/sessions/{came.id}/player-no-show", data={"csrf_token": csrf_token_from(client)})
    assert "The player joined the call" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(NoShowReport.id)) is None


def test_the_dashboard_points_the_fan_to_the_report(client, login):
    session = started()
    login(session.fan)
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert f'/sessions/{session.id}/join#no-show-title">{session.player.display_name} did not come' in dashboard


def test_the_api_reports_disputes_and_resolves(client, api_token):
    session = started()
    response = client.post(
        f"/api/sessions/{session.id}/no-show", headers=api_token(session.fan), json={"statement": "Nobody."}
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "no_show"
    assert (body["report"]["absent"], body["report"]["outcome"], body["report"]["statement"]) == (
        "player",
        "open",
        "Nobody.",
    )
    assert body["report"]["dispute_until"].endswith("Z")

    fan_marks_self = client.post(
        f"/api/sessions/{session.id}/no-show/dispute", headers=api_token(session.fan), json={"statement": "x"}
    )
    assert fan_marks_self.status_code == 403
    response = client.post(
        f"/api/sessions/{session.id}/no-show/dispute", headers=api_token(session.player), json={"statement": "I came."}
    )
    assert response.status_code == 200 and response.json["report"]["outcome"] == "disputed"

    report_id = body["report"]["id"]
    admin = api_token(AdminFactory())
    assert (
        client.post(
            f"/api/admin/no-shows/{report_id}/resolve", headers=admin, json={"decision": "nope", "note": "x"}
        ).status_code
        == 422
    )
    response = client.post(
        f"/api/admin/no-shows/{report_id}/resolve",
        headers=admin,
        json={"decision": "reject", "note": "Logs show the player."},
    )
    assert response.status_code == 200 and response.json["outcome"] == "rejected"
    assert db.session.get(type(session), session.id).status == "completed"


def test_the_player_marks_the_fan_absent_through_the_api_with_words(client, api_token):
    session = started()
    response = client.post(
        f"/api/sessions/{session.id}/no-show", headers=api_token(session.player), json={"statement": "Waited."}
    )
    assert response.status_code == 200
    assert (response.json["report"]["absent"], response.json["report"]["outcome"]) == ("fan", "fan_absent")
    # Without a body, as before: the player marks the fan.
    other = started()
    assert (
        client.post(f"/api/sessions/{other.id}/no-show", headers=api_token(other.player)).json["report"]["absent"]
        == "fan"
    )


def test_the_policy_page_states_the_no_show_rules(client):
    page = client.get("/policy").get_data(as_text=True)
    assert "If the fan does not come, the player marks it after the start, and there is no refund." in page
    assert "from 10 minutes after the start" in page and "48 hours to dispute it" in page
