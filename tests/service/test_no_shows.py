"""No-shows: the fan reports an absent player, the player disputes, time or an admin settles it;
the player's "the fan did not come" keeps its words. Money through the refund rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kendama import jobs
from kendama.extensions import db
from kendama.models import NoShowReport, Notification, Refund
from kendama.services.booking import no_shows
from kendama.services.errors import InvalidInput, NotAllowed, NotFound, WrongState
from kendama.services.video import calls

from ..support.booking_helpers import lesson_at
from ..support.factories import AdminFactory, FanFactory

pytestmark = pytest.mark.both_databases

START = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
AFTER_TEN = START + timedelta(minutes=10)


def lesson(*, price: int = 4000):
    return lesson_at(START, price=price)


def refunds_of(session) -> list[tuple[int, str]]:
    return [(r.amount, r.reason) for r in db.session.scalars(select(Refund).where(Refund.session_id == session.id))]


def emails(kind: str) -> list[int]:
    return sorted(db.session.scalars(select(Notification.user_id).where(Notification.kind == kind)))


def test_the_fan_reports_the_player_from_ten_minutes_after_the_start():
    session = lesson()
    with pytest.raises(WrongState, match="from 10 minutes after the start"):
        no_shows.report_player_absent(session.fan, session.id, now=AFTER_TEN - timedelta(seconds=1))

    report = no_shows.report_player_absent(session.fan, session.id, "I waited 20 minutes.", now=AFTER_TEN)

    assert (report.absent, report.outcome, report.statement) == ("player", "open", "I waited 20 minutes.")
    assert report.dispute_until == AFTER_TEN + timedelta(hours=48)
    assert session.status == "no_show"
    assert emails("no_show_reported") == [session.player_id]  # the player learns of it, to dispute
    assert refunds_of(session) == []  # nothing yet: the player may dispute


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"player_joined_at": START + timedelta(minutes=1)}, "The player joined the call"),
        ({"status": "cancelled"}, "cannot be reported"),
    ],
)
def test_no_report_when_the_player_joined_or_the_session_is_off(change, message):
    session = lesson()
    for name, value in change.items():
        setattr(session, name, value)
    db.session.commit()
    with pytest.raises(WrongState, match=message):
        no_shows.report_player_absent(session.fan, session.id, now=AFTER_TEN)
    assert db.session.scalar(select(NoShowReport.id)) is None


def test_only_the_fan_reports_and_only_once_and_not_too_late():
    session = lesson()
    with pytest.raises(NotAllowed):
        no_shows.report_player_absent(session.player, session.id, now=AFTER_TEN)
    with pytest.raises(NotFound):
        no_shows.report_player_absent(FanFactory(), session.id, now=AFTER_TEN)
    with pytest.raises(InvalidInput):
        no_shows.report_player_absent(session.fan, session.id, "x" * 1001, now=AFTER_TEN)
    late = session.ends_at + timedelta(hours=48, seconds=1)
    with pytest.raises(WrongState, match="too late"):
        no_shows.report_player_absent(session.fan, session.id, now=late)
    no_shows.report_player_absent(session.fan, session.id, now=AFTER_TEN)
    with pytest.raises(WrongState):
        no_shows.report_player_absent(session.fan, session.id, now=AFTER_TEN)
    assert len(list(db.session.scalars(select(NoShowReport)))) == 1


def test_an_undisputed_report_is_refunded_in_full_once_the_time_is_up():
    session = lesson()
    report = no_shows.report_player_absent(session.fan, session.id, now=AFTER_TEN)
    deadline = report.dispute_until
    assert no_shows.due_report_ids(now=deadline - timedelta(seconds=1)) == []
    assert no_shows.settle(report.id, now=deadline - timedelta(seconds=1)) is False

    assert no_shows.due_report_ids(now=deadline) == [report.id]
    assert no_shows.settle(report.id, now=deadline) is True
    assert no_shows.settle(report.id, now=deadline) is False  # a repeated job changes nothing

    assert refunds_of(session) == [(4000, "player_no_show")]
    assert report.outcome == "refunded" and report.resolved_by_id is None
    assert emails("no_show_resolved") == sorted([session.fan_id, session.player_id])


def test_the_periodic_job_settles_what_is_due(monkeypatch):
    session = lesson()
    report = no_shows.report_player_absent(session.fan, session.id, now=AFTER_TEN)
    report.dispute_until = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    jobs.settle_no_shows()
    db.session.refresh(report)
    assert report.outcome == "refunded" and refunds_of(session) == [(4000, "player_no_show")]


def test_a_free_lesson_settles_without_a_refund():
    session = lesson(price=0)
    report = no_shows.report_player_absent(session.fan, session.id, now=AFTER_TEN)
    assert no_shows.settle(report.id, now=report.dispute_until) is True
    assert report.outcome == "refunded" and refunds_of(session) == []


def test_a_disputed_report_waits_for_an_admin_who_refunds_or_rejects():
    session = lesson()
    report = no_shows.report_player_absent(session.fan, session.id, "Nobody came.", now=AFTER_TEN)
    with pytest.raises(InvalidInput):
        no_shows.dispute(session.player, session.id, "  ", now=AFTER_TEN)
    with pytest.raises(NotAllowed):
        no_shows.dispute(session.fan, session.id, "Me?", now=AFTER_TEN)
    no_shows.dispute(session.player, session.id, "I was in the room from 12:00.", now=AFTER_TEN + timedelta(hours=1))
    assert report.outcome == "disputed"
    assert no_shows.settle(report.id, now=report.dispute_until) is False  # time no longer settles it
    with pytest.raises(WrongState):
        no_shows.dispute(session.player, session.id, "Again", now=AFTER_TEN + timedelta(hours=2))

    admin = AdminFactory()
    [shown] = no_shows.disputes(admin)
    assert (shown.report.statement, shown.report.dispute_statement) == ("Nobody came.", "I was in the room from 12:00.")
    with pytest.raises(NotAllowed):
        no_shows.disputes(session.fan)
    with pytest.raises(InvalidInput):
        no_shows.resolve(admin, report.id, "refund", "")
    with pytest.raises(InvalidInput):
        no_shows.resolve(admin, report.id, "maybe", "Hmm")

    no_shows.resolve(admin, report.id, "reject", "The player's camera log shows them in the room.")
    assert (report.outcome, report.resolved_by_id) == ("rejected", admin.id)
    assert session.status == "completed" and refunds_of(session) == []
    with pytest.raises(WrongState):
        no_shows.resolve(admin, report.id, "refund", "Changed my mind")


def test_an_admin_upholds_a_disputed_report_with_a_full_refund():
    session = lesson()
    report = no_shows.report_player_absent(session.fan, session.id, now=AFTER_TEN)
    no_shows.dispute(session.player, session.id, "My internet died.", now=AFTER_TEN)
    no_shows.resolve(AdminFactory(), report.id, "refund", "The player never joined.")
    assert report.outcome == "refunded" and refunds_of(session) == [(4000, "player_no_show")]


def test_the_dispute_window_closes():
    session = lesson()
    report = no_shows.report_player_absent(session.fan, session.id, now=AFTER_TEN)
    with pytest.raises(WrongState, match="passed"):
        no_shows.dispute(session.player, session.id, "Too late", now=report.dispute_until)


def test_the_player_marking_the_fan_absent_keeps_the_words_and_refunds_nothing():
    session = lesson()
    calls.mark_no_show(session.player, session.id, "Waited the whole slot.", now=AFTER_TEN)
    report = no_shows.report_of(session.id)
    assert (report.absent, report.outcome, report.statement) == ("fan", "fan_absent", "Waited the whole slot.")
    assert session.status == "no_show" and refunds_of(session) == []
    with pytest.raises(WrongState):  # the fan cannot answer with a report of their own
        no_shows.report_player_absent(session.fan, session.id, now=AFTER_TEN)


def test_the_session_page_state_offers_what_each_side_may_do():
    session = lesson()
    before = no_shows.state_for(session, session.fan_id, AFTER_TEN - timedelta(minutes=1))
    assert not before.can_report_player
    assert no_shows.state_for(session, session.fan_id, AFTER_TEN).can_report_player
    assert not no_shows.state_for(session, session.player_id, AFTER_TEN).can_report_player
    no_shows.report_player_absent(session.fan, session.id, now=AFTER_TEN)
    assert no_shows.state_for(session, session.player_id, AFTER_TEN).can_dispute
    assert not no_shows.state_for(session, session.fan_id, AFTER_TEN).can_dispute
