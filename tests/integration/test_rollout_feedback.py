"""The rollout switch and post-session feedback."""

import csv
import io
from datetime import timedelta

import pytest

from kendama import jobs
from kendama.extensions import db, mail
from kendama.models import Notification, Review, SessionFeedback
from kendama.services import feedback
from kendama.services.booking import lifecycle, rollout
from kendama.services.errors import Conflict, InvalidInput, NotAllowed, NotFound, WrongState
from kendama.services.notifications import outbox
from kendama.tasks.queue import dispatch_committed

from ..conftest import csrf_token_from
from ..support.booking_helpers import weekday_at
from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory
from ..support.video_support import session_at

pytestmark = pytest.mark.both_databases


def test_switch_states_and_allowlist():
    admin, fan, player = AdminFactory(), FanFactory(), PlayerFactory()
    assert rollout.may_book(fan.id, player.id)  # tests default to everyone
    rollout.set_state(admin, "off")
    assert not rollout.may_book(fan.id, player.id)
    with pytest.raises(NotAllowed) as closed:
        lifecycle.create_session(fan, player.id, weekday_at(10), 30)
    assert (closed.value.code, closed.value.message) == ("sessions_closed", "Live sessions are not open yet.")
    rollout.set_state(admin, "beta")
    rollout.add_to_allowlist(admin, fan.email)
    assert not rollout.may_book(fan.id, player.id)  # the player is not in the beta yet
    with pytest.raises(NotAllowed) as beta:
        lifecycle.create_session(fan, player.id, weekday_at(10), 30)
    assert (beta.value.code, beta.value.message) == (
        "closed_beta",
        "Live sessions are in a closed beta for now, and this player is not in it yet.",
    )
    rollout.add_to_allowlist(admin, player.email)
    assert rollout.may_book(fan.id, player.id)
    assert lifecycle.create_session(fan, player.id, weekday_at(10), 30).status == "confirmed"
    rollout.remove_from_allowlist(admin, fan.id)
    assert not rollout.may_book(fan.id, player.id)


def test_switch_rejects_bad_values_and_non_admins():
    with pytest.raises(InvalidInput):
        rollout.set_state(AdminFactory(), "sometimes")
    with pytest.raises(NotAllowed):
        rollout.set_state(FanFactory(), "off")
    with pytest.raises(NotFound):
        rollout.add_to_allowlist(AdminFactory(), "ghost@example.com")


def test_admin_console_switch(client, login):
    login(AdminFactory())
    assert client.get("/admin/rollout").status_code == 200
    response = client.post("/admin/rollout/state", data={"state": "beta", "csrf_token": csrf_token_from(client)})
    assert response.status_code == 303
    assert rollout.state() is rollout.LiveSessions.BETA


def test_feedback_only_after_the_session_and_once():
    session = LiveSessionFactory(status="confirmed")
    with pytest.raises(WrongState):
        feedback.leave_feedback(session.fan, session.id, 5, "great")
    session.status = "completed"
    db.session.commit()
    with pytest.raises(InvalidInput):
        feedback.leave_feedback(session.fan, session.id, 6)
    feedback.leave_feedback(session.fan, session.id, 5, '=HYPERLINK("x")')
    with pytest.raises(Conflict):
        feedback.leave_feedback(session.fan, session.id, 4)
    feedback.leave_feedback(session.player, session.id, 4, "keen learner")
    # The player's stays feedback; the fan's is their review (kept private: this form has no choice).
    assert [f.author_id for f in db.session.query(SessionFeedback).filter_by(session_id=session.id)] == [
        session.player_id
    ]
    review = db.session.query(Review).filter_by(session_id=session.id).one()
    assert (review.author_id, review.rating, review.text, review.public) == (
        session.fan_id,
        5,
        '=HYPERLINK("x")',
        False,
    )
    with pytest.raises(NotFound):
        feedback.leave_feedback(FanFactory(), session.id, 3)


def test_feedback_from_dashboard_and_csv_export(client, login):
    session = LiveSessionFactory(status="completed")
    login(session.fan)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "How did it go?" in page
    response = client.post(
        f"/dashboard/sessions/{session.id}/feedback",
        data={"rating": "4", "comment": "=cmd", "csrf_token": csrf_token_from(client)},
    )
    assert response.status_code == 303
    assert "How did it go?" not in client.get("/dashboard/").get_data(as_text=True)

    login(AdminFactory())
    export = client.get("/admin/feedback.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0]["rating"] == "4" and rows[0]["comment"] == "'=cmd" and rows[0]["author_role"] == "fan"
    assert client.get("/admin/feedback").status_code == 200


def test_feedback_api(client, api_token):
    session = LiveSessionFactory(status="completed")
    headers = api_token(session.player)
    response = client.post(f"/api/sessions/{session.id}/feedback", headers=headers, json={"rating": 5})
    assert response.status_code == 201 and response.json["rating"] == 5
    assert client.post(f"/api/sessions/{session.id}/feedback", headers=headers, json={"rating": 5}).status_code == 409
    assert (
        client.post(
            f"/api/sessions/{session.id}/feedback", headers=api_token(FanFactory()), json={"rating": 5}
        ).status_code
        == 404
    )
    assert client.post(f"/api/sessions/{session.id}/feedback", headers=headers, json={"rating": 9}).status_code == 422


# Sessions that are not completed: one everyone left before its end (still in progress), one the
# fan never came to, and one nobody joined that is past its end.
NOT_COMPLETED = {
    "left_early": {"starts_in": timedelta(minutes=-10), "status": "in_progress"},
    "no_show": {"starts_in": timedelta(days=-2), "status": "no_show"},
    "nobody_joined": {"starts_in": timedelta(days=-2), "status": "confirmed"},
}


@pytest.mark.parametrize("case", sorted(NOT_COMPLETED))
def test_feedback_is_offered_only_after_completion(client, login, api_token, case):
    session = session_at(**NOT_COMPLETED[case])
    with pytest.raises(WrongState):
        feedback.leave_feedback(session.fan, session.id, 5)
    assert feedback.sessions_awaiting_feedback(session.fan) == []
    answer = client.post(f"/api/sessions/{session.id}/feedback", headers=api_token(session.fan), json={"rating": 5})
    assert answer.status_code == 409
    login(session.player)
    assert "How did it go?" not in client.get("/dashboard/").get_data(as_text=True)


@pytest.mark.parametrize("case", ["no_show", "nobody_joined"])
def test_the_feedback_email_is_skipped_for_a_session_that_did_not_complete(case):
    session = session_at(**NOT_COMPLETED[case])
    due = outbox.scheduled_times(session)["feedback_request"]
    outbox.queue(session.fan_id, "feedback_request", session_id=session.id, due_at=due)
    db.session.commit()
    with mail.record_messages() as sent:
        dispatch_committed()
        jobs.sweep_notifications()
    assert sent == []
    (row,) = db.session.scalars(db.select(Notification).where(Notification.kind == "feedback_request")).all()
    assert row.status == "skipped"
