"""The booking lifecycle at its edges: what a refusal says, the moment each rule is judged at,
what a hold, a reschedule and a cancellation write, and which buttons a viewer gets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import LiveSession, Notification
from kendama.services.booking import lifecycle
from kendama.services.errors import InvalidInput, SlotUnavailable, WrongState

from ..support.booking_helpers import mark_paid, weekday_at
from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory
from ..support.row_locks import row_locks

pytestmark = pytest.mark.both_databases


@pytest.fixture
def session_locks(app):
    """The statements that lock a sessions row (PostgreSQL only)."""
    with row_locks("sessions") as seen:
        yield seen


def free_session(fan=None, player=None, hour: int = 10, **player_setup):
    fan = fan or FanFactory()
    player = player or PlayerFactory(**player_setup)
    return lifecycle.create_session(fan, player.id, weekday_at(hour), 30)


# --- Holds -----------------------------------------------------------------------------------------


def test_a_hold_lasts_the_configured_minutes_but_never_past_the_start(app, monkeypatch):
    monkeypatch.setitem(app.config, "BOOKING_HOLD_MINUTES", 20)
    start = weekday_at(10)
    assert lifecycle._hold_end(start, start - timedelta(hours=2)) == start - timedelta(hours=1, minutes=40)
    assert lifecycle._hold_end(start, start - timedelta(minutes=5)) == start


def test_an_expired_hold_is_cancelled_by_the_system_with_its_reason_and_a_new_sequence(monkeypatch):
    pending: list = []
    player = PlayerFactory(setup__paid=True)
    held = lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 30)
    held.ics_sequence = 4
    db.session.commit()
    moment = held.hold_expires_at
    monkeypatch.setattr(lifecycle, "after_commit", lambda name, *args: pending.append((name, args)))
    assert lifecycle.expire_holds(now=moment - timedelta(seconds=1)) == 0
    assert lifecycle.expire_holds(now=moment) == 1  # expired exactly at its end
    held = db.session.get(LiveSession, held.id)
    assert (held.status, held.cancelled_at, held.cancelled_by_role, held.ics_sequence) == (
        "cancelled",
        moment,
        "system",
        5,
    )
    assert held.cancellation_reason == "The payment was not completed in time, so the slot was released."
    notice = db.session.scalar(
        select(Notification).where(Notification.session_id == held.id, Notification.kind == "hold_expired")
    )
    assert (notice.user_id, notice.kind, notice.dedupe_key) == (held.fan_id, "hold_expired", f"hold_expired:{held.id}")
    assert ("kendama.jobs.expire_checkouts", (held.id,)) in pending  # its Checkout is closed after the commit


def test_expiring_one_players_holds_leaves_the_others_and_confirmed_sessions():
    mine, theirs = PlayerFactory(setup__paid=True), PlayerFactory(setup__paid=True)
    held = lifecycle.create_session(FanFactory(), mine.id, weekday_at(10), 30)
    other = lifecycle.create_session(FanFactory(), theirs.id, weekday_at(10), 30)
    paid = lifecycle.create_session(FanFactory(), mine.id, weekday_at(12), 30)
    mark_paid(paid)
    later = held.hold_expires_at + timedelta(hours=1)
    paid.hold_expires_at = held.hold_expires_at  # a confirmed session is never a hold, whatever it says
    db.session.commit()
    assert lifecycle.expire_holds(now=later, player_id=mine.id) == 1
    statuses = [db.session.get(LiveSession, s.id).status for s in (held, other, paid)]
    assert statuses == ["cancelled", "pending_payment", "confirmed"]


def test_expiring_holds_inside_a_booking_waits_for_its_commit():
    player = PlayerFactory(setup__paid=True)
    held = lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 30)
    assert lifecycle.expire_holds(now=held.hold_expires_at, commit=False) == 1
    assert db.session.get(LiveSession, held.id).status == "cancelled"  # written, not committed
    db.session.rollback()
    assert db.session.get(LiveSession, held.id).status == "pending_payment"


# --- Reschedule ------------------------------------------------------------------------------------


def test_rescheduling_a_session_not_confirmed_says_why():
    fan = FanFactory()
    held = lifecycle.create_session(fan, PlayerFactory(setup__paid=True).id, weekday_at(10), 30)
    with pytest.raises(WrongState) as refused:
        lifecycle.reschedule(fan, held.id, weekday_at(11))
    assert refused.value.message == "Only confirmed sessions can be rescheduled."


def test_rescheduling_to_the_same_time_names_the_field():
    session = free_session()
    with pytest.raises(InvalidInput) as refused:
        lifecycle.reschedule(session.fan, session.id, session.starts_at)
    assert refused.value.fields == {"start": "Choose a time other than the current one."}


def test_rescheduling_into_a_taken_slot_says_so_on_the_field():
    player = PlayerFactory()
    session = free_session(player=player)
    free_session(player=player, hour=14)
    with pytest.raises(SlotUnavailable) as taken:
        lifecycle.reschedule(session.fan, session.id, weekday_at(14))
    assert (taken.value.message, taken.value.fields) == (lifecycle.SLOT_TAKEN, {"start": lifecycle.SLOT_TAKEN})


def test_a_time_the_fan_is_busy_at_elsewhere_does_not_work_for_both():
    fan = FanFactory()
    session = free_session(fan=fan)
    free_session(fan=fan, hour=14)  # with another player
    message = "That time does not work for both participants."
    with pytest.raises(SlotUnavailable) as busy:
        lifecycle.reschedule(fan, session.id, weekday_at(14))
    assert (busy.value.message, busy.value.fields) == (message, {"start": message})


def test_rescheduling_counts_the_sequence_on_from_where_it_was():
    session = free_session()
    session.ics_sequence = 3
    db.session.commit()
    assert lifecycle.reschedule(session.fan, session.id, weekday_at(11)).ics_sequence == 4


def test_the_new_time_is_judged_at_the_moment_given():
    """A start beyond the booking window from today is bookable when judged from a later day."""
    player = PlayerFactory(setup__days_ahead=10)
    fan = FanFactory()
    # 7 to 9 days ahead (a weekend moves it on), and a week after it: 14 to 16 days ahead, past
    # the window today but 9 days after the moment two days before the start. (Dated offsets
    # of 9 and 15 days failed on some days: a start moved past a weekend left the window.)
    start = weekday_at(10, days_ahead=7)
    session = lifecycle.create_session(fan, player.id, start, 30)
    later = start + timedelta(days=7)
    with pytest.raises(SlotUnavailable):
        lifecycle.reschedule(fan, session.id, later)
    moved = lifecycle.reschedule(fan, session.id, later, now=start - timedelta(days=2))
    assert moved.starts_at == later


def test_reschedule_and_cancel_lock_the_session_first(session_locks):
    session = free_session()
    session_locks.clear()  # booking expired holds under a lock first
    lifecycle.reschedule(session.fan, session.id, weekday_at(11))
    rescheduling = len(session_locks)
    session_locks.clear()
    lifecycle.cancel(session.fan, session.id)
    assert (rescheduling, len(session_locks)) == (1, 1)


# --- Cancel ---------------------------------------------------------------------------------------


def test_a_cancelled_or_started_session_says_why_it_cannot_be_cancelled():
    session = free_session()
    with pytest.raises(WrongState) as started:
        lifecycle.cancel(session.fan, session.id, now=session.starts_at)
    assert started.value.message == "The session has already started, so it can no longer be cancelled."
    lifecycle.cancel(session.fan, session.id)
    with pytest.raises(WrongState) as again:
        lifecycle.cancellation_quote(session.fan, session.id)
    assert again.value.message == "This session can no longer be cancelled."


def test_an_admin_may_cancel_a_session_that_has_started():
    session = free_session()
    admin = AdminFactory()
    quote = lifecycle.cancellation_quote(admin, session.id, now=session.starts_at + timedelta(minutes=5))
    assert (quote.percent, quote.amount) == (100, 0)
    result = lifecycle.cancel(admin, session.id, now=session.starts_at + timedelta(minutes=5))
    assert (result.session.cancelled_by_role, result.session.cancelled_by_id) == ("admin", admin.id)


def test_a_cancellation_records_who_when_why_and_a_new_sequence():
    session = free_session()
    session.ics_sequence = 2
    db.session.commit()
    moment = session.starts_at - timedelta(days=2)
    result = lifecycle.cancel(session.player, session.id, "  Injured wrist  ", now=moment)
    cancelled = result.session
    assert (cancelled.status, cancelled.cancelled_at, cancelled.cancelled_by_id, cancelled.cancelled_by_role) == (
        "cancelled",
        moment,
        session.player_id,
        "player",
    )
    assert (cancelled.cancellation_reason, cancelled.ics_sequence, cancelled.hold_expires_at) == (
        "Injured wrist",
        3,
        None,
    )
    assert (result.refund.amount, result.refund.currency, result.refund.status) == (0, "usd", "none")


def test_a_blank_reason_is_stored_as_none_and_a_long_one_is_refused():
    session = free_session()
    with pytest.raises(InvalidInput) as long:
        lifecycle.cancel(session.fan, session.id, "x" * (lifecycle.MAX_NOTES + 1))
    assert long.value.fields == {"reason": f"Keep the reason under {lifecycle.MAX_NOTES} characters."}
    result = lifecycle.cancel(session.fan, session.id, "x" * lifecycle.MAX_NOTES)
    assert result.session.cancellation_reason == "x" * lifecycle.MAX_NOTES
    other = free_session(hour=12)
    assert lifecycle.cancel(other.fan, other.id, "   ").session.cancellation_reason is None
    third = free_session(hour=14)
    assert lifecycle.cancel(third.fan, third.id, None).session.cancellation_reason is None


def test_cancelling_a_paid_session_late_refunds_by_the_policy_and_says_how_much():
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory(setup__paid=True, setup__price=999).id, weekday_at(10), 30)
    mark_paid(session)
    moment = session.starts_at - timedelta(hours=3)
    quote = lifecycle.cancellation_quote(fan, session.id, now=moment)
    assert (quote.percent, quote.amount, quote.currency) == (50, 500, "usd")
    result = lifecycle.cancel(fan, session.id, now=moment)
    assert (result.refund.amount, result.refund.currency, result.refund.status) == (500, "usd", "pending")
    notices = db.session.scalars(
        select(Notification).where(Notification.session_id == session.id, Notification.kind == "cancelled")
    ).all()
    assert sorted(n.user_id for n in notices) == sorted([session.fan_id, session.player_id])
    assert [(n.payload["refund_amount"], n.payload["currency"]) for n in notices] == [(500, "usd")] * 2  # says how much


def test_cancelling_a_hold_closes_its_checkout_after_the_commit(monkeypatch):
    fan = FanFactory()
    held = lifecycle.create_session(fan, PlayerFactory(setup__paid=True).id, weekday_at(10), 30)
    pending: list = []
    monkeypatch.setattr(lifecycle, "after_commit", lambda name, *args: pending.append((name, args)))
    lifecycle.cancel(fan, held.id)
    assert ("kendama.jobs.expire_checkouts", (held.id,)) in pending
    confirmed = free_session(hour=12)
    pending.clear()
    lifecycle.cancel(confirmed.fan, confirmed.id)
    assert ("kendama.jobs.expire_checkouts", (confirmed.id,)) not in pending


# --- What the viewer may do -----------------------------------------------------------------------


def test_an_admin_may_cancel_after_the_start_but_never_reschedules():
    session = LiveSessionFactory()
    admin = AdminFactory()
    actions = lifecycle.available_actions(session, admin, now=session.starts_at + timedelta(minutes=5))
    assert actions == lifecycle.Actions(can_cancel=True, can_reschedule=False, reschedule_note=None)
    early = lifecycle.available_actions(session, admin, now=session.starts_at - timedelta(days=3))
    assert early == lifecycle.Actions(can_cancel=True, can_reschedule=False, reschedule_note=None)


def test_participants_may_cancel_until_the_start_exactly():
    session = LiveSessionFactory()
    at_start = lifecycle.available_actions(session, session.fan, now=session.starts_at)
    assert at_start.can_cancel is False
    before = lifecycle.available_actions(session, session.player, now=session.starts_at - timedelta(seconds=1))
    assert before.can_cancel is True


@pytest.mark.parametrize("status", ["cancelled", "completed", "in_progress"])
def test_a_session_past_cancelling_offers_no_button(status):
    session = LiveSessionFactory(status=status)
    actions = lifecycle.available_actions(session, session.fan, now=session.starts_at - timedelta(days=3))
    assert actions == lifecycle.Actions(can_cancel=False, can_reschedule=False, reschedule_note=None)


def test_a_hold_may_be_cancelled_but_not_rescheduled_and_says_nothing_of_the_policy():
    session = LiveSessionFactory(status="pending_payment")
    actions = lifecycle.available_actions(session, session.fan, now=session.starts_at - timedelta(days=3))
    assert actions == lifecycle.Actions(can_cancel=True, can_reschedule=False, reschedule_note=None)


def test_a_confirmed_session_early_may_be_moved_with_no_note():
    session = LiveSessionFactory()
    actions = lifecycle.available_actions(session, session.fan, now=session.starts_at - timedelta(days=3))
    assert actions == lifecycle.Actions(can_cancel=True, can_reschedule=True, reschedule_note=None)


# --- Create ---------------------------------------------------------------------------------------


def test_holds_are_expired_skipping_rows_another_transaction_holds(session_locks):
    player = PlayerFactory(setup__paid=True)
    held = lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 30)
    session_locks.clear()
    lifecycle.expire_holds(now=held.hold_expires_at)
    assert len(session_locks) == 1 and "FOR UPDATE SKIP LOCKED" in session_locks[0]


def test_a_booking_without_notes_stores_none_typed():
    fan, player = FanFactory(), PlayerFactory()
    assert lifecycle.create_session(fan, player.id, weekday_at(10), 30).notes == ""
    assert lifecycle.create_session(fan, player.id, weekday_at(12), 30, notes=None).notes == ""
    longest = lifecycle.create_session(fan, player.id, weekday_at(14), 30, notes="n" * lifecycle.MAX_NOTES)
    assert longest.notes == "n" * lifecycle.MAX_NOTES
    with pytest.raises(InvalidInput) as long:
        lifecycle.create_session(fan, player.id, weekday_at(15), 30, notes="n" * (lifecycle.MAX_NOTES + 1))
    assert long.value.fields == {"notes": f"Keep the notes under {lifecycle.MAX_NOTES} characters."}


def test_a_start_that_is_not_free_says_so_on_the_field():
    with pytest.raises(SlotUnavailable) as refused:
        lifecycle.create_session(FanFactory(), PlayerFactory().id, weekday_at(20), 30)  # outside the hours
    assert (refused.value.message, refused.value.fields) == (lifecycle.SLOT_TAKEN, {"start": lifecycle.SLOT_TAKEN})


def test_a_fan_booked_elsewhere_at_that_time_is_told_on_the_field():
    fan = FanFactory()
    free_session(fan=fan)
    busy = "You already have a session at that time."
    with pytest.raises(SlotUnavailable) as refused:
        lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    assert (refused.value.code, refused.value.message, refused.value.fields) == (
        "overlapping_session",
        busy,
        {"start": busy},
    )


def test_a_booking_is_judged_at_the_moment_given():
    """A start beyond the booking window from today is bookable when judged from a later day."""
    player = PlayerFactory(setup__days_ahead=10)
    start = weekday_at(10, days_ahead=15)
    with pytest.raises(SlotUnavailable):
        lifecycle.create_session(FanFactory(), player.id, start, 30)
    later = start - timedelta(days=5)
    assert lifecycle.create_session(FanFactory(), player.id, start, 30, now=later).starts_at == start


def test_in_a_closed_beta_a_fan_and_player_on_the_list_may_book():
    from kendama.services.booking import rollout

    admin, fan, player = AdminFactory(), FanFactory(), PlayerFactory()
    rollout.set_state(admin, "beta")
    rollout.add_to_allowlist(admin, fan.email)
    rollout.add_to_allowlist(admin, player.email)
    assert lifecycle.create_session(fan, player.id, weekday_at(10), 30).status == "confirmed"


def test_booking_expires_only_that_players_holds_and_only_with_the_booking():
    mine, theirs = PlayerFactory(setup__paid=True), PlayerFactory(setup__paid=True)
    my_hold = lifecycle.create_session(FanFactory(), mine.id, weekday_at(10), 30)
    their_hold = lifecycle.create_session(FanFactory(), theirs.id, weekday_at(10), 30)
    later = my_hold.hold_expires_at + timedelta(minutes=1)
    fan = FanFactory()
    free_session(fan=fan, player=PlayerFactory(), hour=12)
    with pytest.raises(SlotUnavailable):  # this fan is busy then: the booking fails after expiring holds
        lifecycle.create_session(fan, mine.id, weekday_at(12), 30, now=later)
    db.session.rollback()
    assert db.session.get(LiveSession, my_hold.id).status == "pending_payment"  # nothing half-applied
    lifecycle.create_session(FanFactory(), mine.id, weekday_at(10), 30, now=later)
    assert db.session.get(LiveSession, my_hold.id).status == "cancelled"
    assert db.session.get(LiveSession, their_hold.id).status == "pending_payment"


# --- Defaults that matter (mutants that changed them survived) ----------------------------------


def test_a_booking_without_a_word_on_recording_is_not_recorded():
    session = lifecycle.create_session(FanFactory(), PlayerFactory().id, weekday_at(10), 30)
    assert session.fan_recording_consent is False


def test_the_complete_your_payment_email_is_timed_from_the_moment_of_booking():
    moment = weekday_at(10) - timedelta(days=3)
    held = lifecycle.create_session(FanFactory(), PlayerFactory(setup__paid=True).id, weekday_at(10), 30, now=moment)
    reminder = db.session.scalar(
        select(Notification).where(Notification.session_id == held.id, Notification.kind == "awaiting_payment")
    )
    assert reminder.due_at == moment + timedelta(minutes=5)


def test_expiring_holds_commits_unless_told_not_to():
    held = lifecycle.create_session(FanFactory(), PlayerFactory(setup__paid=True).id, weekday_at(10), 30)
    assert lifecycle.expire_holds(now=held.hold_expires_at) == 1
    db.session.rollback()  # nothing left to roll back: the expiry was committed
    assert db.session.get(LiveSession, held.id).status == "cancelled"


def test_a_cancellation_without_a_reason_stores_none():
    session = free_session(hour=10)
    lifecycle.cancel(session.fan, session.id, now=session.starts_at - timedelta(days=2))
    assert db.session.get(LiveSession, session.id).cancellation_reason is None
