"""The booking service: create, holds, reschedule, cancel with the policy's refund."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event, inspect, select

from kendama.extensions import db
from kendama.models import ConsentRecord, LiveSession, Notification, Offering, Refund
from kendama.services.booking import lifecycle, queries, slots
from kendama.services.errors import InvalidInput, NotAllowed, NotFound, PolicyViolation, SlotUnavailable, WrongState
from kendama.tasks.queue import dispatch_committed

from ..support.booking_helpers import mark_paid, weekday_at
from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def kinds(session_id: int) -> list[str]:
    return sorted(db.session.scalars(select(Notification.kind).where(Notification.session_id == session_id)))


def test_free_booking_is_confirmed_with_notifications_and_consent():
    fan, player = FanFactory(), PlayerFactory(setup__buffer=10)
    start = weekday_at(10)
    session = lifecycle.create_session(fan, player.id, start, 30, notes=" Lunar flips ", recording_consent=True)
    assert session.status == "confirmed" and session.hold_expires_at is None
    assert session.ends_at == start + timedelta(minutes=30)
    assert session.blocked_until == start + timedelta(minutes=40)
    assert session.notes == "Lunar flips" and session.price_amount == 0
    assert session.fan_recording_consent is True and session.player_recording_consent is False
    consents = db.session.scalars(select(ConsentRecord).where(ConsentRecord.session_id == session.id)).all()
    assert {(c.user_id, c.granted) for c in consents} == {(fan.id, True), (player.id, False)}
    assert "booking_confirmed" in kinds(session.id)


@pytest.mark.parametrize(
    ("recording_default", "sharing_default", "shares"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_the_players_defaults_give_their_consent_to_recording_and_sharing(recording_default, sharing_default, shares):
    fan, player = FanFactory(), PlayerFactory()
    player.profile.recording_default, player.profile.sharing_default = recording_default, sharing_default
    db.session.commit()
    session = lifecycle.create_session(fan, player.id, weekday_at(10), 30, recording_consent=True)
    assert session.player_recording_consent is recording_default
    assert session.player_sharing_consent is shares  # sharing needs recording
    assert session.fan_sharing_consent is False  # the fan chooses for themselves
    logged = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.session_id == session.id, ConsentRecord.user_id == player.id)
    ).all()
    assert sorted((c.kind, c.granted) for c in logged) == [("recording", recording_default), ("sharing", shares)]


def test_paid_booking_is_held_with_the_price_split(app):
    fan, player = FanFactory(), PlayerFactory(setup__paid=True, setup__price=999)
    session = lifecycle.create_session(fan, player.id, weekday_at(11), 30)
    assert session.status == "pending_payment"
    assert session.hold_expires_at is not None
    held_for = session.hold_expires_at - session.created_at
    assert abs(held_for - timedelta(minutes=app.config["BOOKING_HOLD_MINUTES"])) < timedelta(seconds=5)
    assert (session.price_amount, session.platform_fee_amount, session.player_share_amount) == (999, 150, 849)
    assert kinds(session.id) == ["awaiting_payment"]


def test_taken_slot_is_409_and_the_slot_list_drops_it():
    player = PlayerFactory()
    start = weekday_at(10)
    lifecycle.create_session(FanFactory(), player.id, start, 30)
    with pytest.raises(SlotUnavailable):
        lifecycle.create_session(FanFactory(), player.id, start + timedelta(minutes=15), 30)
    free = slots.bookable_slots(player.id, 30, start - timedelta(hours=1), start + timedelta(hours=1))
    assert start not in [s.start for s in free]


@pytest.mark.parametrize("status", ["completed", "no_show", "in_progress"])
def test_a_session_that_ended_early_still_holds_its_slot(status):
    """The walk-through's double booking: a session completed early freed its time for another fan."""
    player = PlayerFactory(setup__buffer=5)
    start = weekday_at(10)
    first = lifecycle.create_session(FanFactory(), player.id, start, 30)
    first.status = status
    first.completed_at = start + timedelta(minutes=5) if status == "completed" else None
    db.session.commit()
    with pytest.raises(SlotUnavailable):
        lifecycle.create_session(FanFactory(), player.id, start, 30)
    with pytest.raises(SlotUnavailable):  # the buffer after it holds too
        lifecycle.create_session(FanFactory(), player.id, start + timedelta(minutes=30), 30)
    free = slots.bookable_slots(player.id, 30, start - timedelta(hours=1), start + timedelta(hours=2))
    assert {start, start + timedelta(minutes=30)}.isdisjoint(slot.start for slot in free)
    assert start + timedelta(minutes=45) in [slot.start for slot in free]


def test_a_fan_whose_session_ended_early_cannot_book_another_at_that_time():
    fan, start = FanFactory(), weekday_at(10)
    first = lifecycle.create_session(fan, PlayerFactory().id, start, 30)
    first.status = "completed"
    db.session.commit()
    with pytest.raises(SlotUnavailable, match="You already have a session at that time"):
        lifecycle.create_session(fan, PlayerFactory().id, start, 30)


def test_a_cancelled_session_frees_its_slot():
    player, start = PlayerFactory(), weekday_at(10)
    first = lifecycle.create_session(FanFactory(), player.id, start, 30)
    lifecycle.cancel(first.fan, first.id, "changed plans")
    assert lifecycle.create_session(FanFactory(), player.id, start, 30).status == "confirmed"


@pytest.mark.parametrize(
    "start",
    [
        weekday_at(10, 5),  # off the 15-minute grid
        weekday_at(7),  # outside the weekly hours
        weekday_at(16, 45),  # would end after 17:00
    ],
)
def test_start_must_be_a_bookable_slot(start):
    with pytest.raises(SlotUnavailable):
        lifecycle.create_session(FanFactory(), PlayerFactory().id, start, 30)


def test_minimum_notice_and_booking_window():
    player = PlayerFactory(setup__notice=60, setup__days_ahead=5)
    with pytest.raises(SlotUnavailable):
        lifecycle.create_session(FanFactory(), player.id, weekday_at(10, days_ahead=8), 30)


def test_duration_must_be_offered_and_player_listed():
    with pytest.raises(InvalidInput) as error:
        lifecycle.create_session(FanFactory(), PlayerFactory().id, weekday_at(10), 15)
    assert "duration_minutes" in error.value.fields
    with pytest.raises(NotFound):
        lifecycle.create_session(FanFactory(), PlayerFactory(setup__verified=False).id, weekday_at(10), 30)


def test_refusals_come_in_the_same_order_from_the_one_read(app, monkeypatch):
    """The gate, then the notes, the listing, the length, payouts, and last the taken slot."""
    start = weekday_at(10)
    unpaid = PlayerFactory(setup__price=2500)  # a paid offering without a payout account
    LiveSessionFactory(player=unpaid, starts_at=start)
    unlisted = PlayerFactory(setup__verified=False)
    LiveSessionFactory(player=unlisted, starts_at=start)
    fan, long_notes = FanFactory(), "x" * (lifecycle.MAX_NOTES + 1)

    def refusal(player_id: int, duration: int = 30, notes: str = "") -> tuple[type, str, dict]:
        with pytest.raises((NotAllowed, InvalidInput, NotFound, SlotUnavailable)) as error:
            lifecycle.create_session(fan, player_id, start, duration, notes)
        return type(error.value), error.value.message, error.value.fields

    with monkeypatch.context() as closed:
        closed.setitem(app.config, "LIVE_SESSIONS_DEFAULT", "off")
        assert refusal(unlisted.id, 15, long_notes)[:2] == (NotAllowed, "Live sessions are not open yet.")
    assert refusal(unlisted.id, 15, long_notes)[2] == {"notes": "Keep the notes under 2000 characters."}
    assert refusal(unlisted.id, 15)[0] is NotFound
    offers = {"duration_minutes": "This player offers sessions of 30 minutes."}
    assert refusal(unpaid.id, 15)[::2] == (InvalidInput, offers)
    payouts = "This player cannot take payments right now; please try again later."
    assert refusal(unpaid.id)[:2] == (SlotUnavailable, payouts)
    unpaid.profile.offerings[0].price_amount = 0
    db.session.commit()
    assert refusal(unpaid.id)[1:] == (lifecycle.SLOT_TAKEN, {"start": lifecycle.SLOT_TAKEN})


def test_admins_and_self_booking_refused():
    player = PlayerFactory()
    with pytest.raises(NotAllowed):
        lifecycle.create_session(AdminFactory(), player.id, weekday_at(10), 30)
    with pytest.raises(InvalidInput):
        lifecycle.create_session(player, player.id, weekday_at(10), 30)


def test_fan_cannot_double_book_themselves():
    fan = FanFactory()
    start = weekday_at(10)
    lifecycle.create_session(fan, PlayerFactory().id, start, 30)
    with pytest.raises(SlotUnavailable) as error:
        lifecycle.create_session(fan, PlayerFactory().id, start + timedelta(minutes=15), 30)
    assert "already have a session" in error.value.message


def test_database_constraint_turns_a_race_into_409(monkeypatch):
    """When the slot check is beaten by a concurrent insert, the exclusion constraint answers."""
    player = PlayerFactory()
    start = weekday_at(10)
    LiveSessionFactory(player=player, starts_at=start)
    read = lifecycle._read_for_booking

    def read_before_the_other_insert(*args):
        found = read(*args)
        return replace(found, offerings=[replace(o, slot_taken=False) for o in found.offerings])

    monkeypatch.setattr(lifecycle, "_read_for_booking", read_before_the_other_insert)
    monkeypatch.setattr(slots, "is_bookable", lambda *args, **kwargs: True)
    with pytest.raises(SlotUnavailable):
        lifecycle.create_session(FanFactory(), player.id, start, 30)
    assert len(db.session.scalars(select(LiveSession.id).where(LiveSession.player_id == player.id)).all()) == 1


def must_not_run(*args, **kwargs):
    raise AssertionError("a taken slot needs no lock, hold expiry or slot computation")


@pytest.mark.parametrize("offset", [0, 15, 35])  # the same start, an overlap, inside the 10-minute buffer
def test_taken_slot_is_refused_before_any_lock_or_write(monkeypatch, offset):
    player = PlayerFactory(setup__buffer=10)
    start = weekday_at(10)
    lifecycle.create_session(FanFactory(), player.id, start, 30)
    monkeypatch.setattr(lifecycle, "lock_user", must_not_run)
    monkeypatch.setattr(lifecycle, "expire_holds", must_not_run)
    monkeypatch.setattr(slots, "is_bookable", must_not_run)
    fan, player_id = FanFactory(), player.id
    db.session.refresh(fan)  # loaded, as a request's user is
    seen = []
    record = lambda *args: seen.append(args[2])  # noqa: E731
    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        with pytest.raises(SlotUnavailable) as error:
            lifecycle.create_session(fan, player_id, start + timedelta(minutes=offset), 30)
    finally:
        event.remove(bind, "before_cursor_execute", record)
    assert (error.value.message, error.value.fields) == (lifecycle.SLOT_TAKEN, {"start": lifecycle.SLOT_TAKEN})
    assert len([s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE"))]) == 1  # one read answers it


def test_slot_whose_buffer_reaches_a_later_session_is_still_refused():
    """Only existing sessions are checked early; the new booking's own buffer is the slot check's job."""
    player = PlayerFactory(setup__buffer=10)
    lifecycle.create_session(FanFactory(), player.id, weekday_at(10, 30), 30)
    with pytest.raises(SlotUnavailable):
        lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 30)


def test_cancelled_sessions_do_not_take_the_slot():
    player = PlayerFactory()
    LiveSessionFactory(player=player, starts_at=weekday_at(10), status="cancelled")
    assert lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 30).status == "confirmed"


def test_free_booking_is_answered_from_what_was_written():
    """The commit keeps the new session and the fan loaded, so serialising them reads nothing."""
    fan = FanFactory()
    expire = db.session().expire_on_commit
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    assert not inspect(session).expired_attributes and not inspect(fan).expired_attributes
    assert "player" not in inspect(session).unloaded  # the booking read loaded the player's user
    assert db.session().expire_on_commit is expire  # only that one commit kept its rows
    db.session.expire_all()
    assert (session.status, session.starts_at, session.fan_id) == ("confirmed", weekday_at(10), fan.id)


def test_offered_lengths_are_listed_in_order_and_unlisted_players_are_404():
    player = PlayerFactory()
    player.profile.offerings.append(Offering(duration_minutes=15, price_amount=0))
    db.session.commit()
    with pytest.raises(InvalidInput) as error:
        lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 20)
    assert error.value.fields == {"duration_minutes": "This player offers sessions of 15, 30 minutes."}
    assert lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 15).price_amount == 0

    without_offerings = PlayerFactory()
    without_offerings.profile.offerings = []
    inactive = PlayerFactory(is_active_account=False)
    paused = PlayerFactory()
    paused.profile.accepts_bookings = False
    db.session.commit()
    for unlisted in (without_offerings, inactive, paused):
        with pytest.raises(NotFound):
            lifecycle.create_session(FanFactory(), unlisted.id, weekday_at(10), 30)


def test_expired_hold_releases_its_slot():
    player = PlayerFactory(setup__paid=True)
    start = weekday_at(10)
    held = lifecycle.create_session(FanFactory(), player.id, start, 30)
    later = held.hold_expires_at + timedelta(seconds=1)
    assert start in [s.start for s in slots.bookable_slots(player.id, 30, start, start + timedelta(hours=1), now=later)]
    second = lifecycle.create_session(FanFactory(), player.id, start, 30, now=later)
    db.session.refresh(held)
    assert held.status == "cancelled" and held.cancelled_by_role == "system"
    assert second.status == "pending_payment"


def test_expire_holds_job_cancels_only_stale_holds():
    player = PlayerFactory(setup__paid=True)
    stale = lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 30)
    fresh = lifecycle.create_session(FanFactory(), player.id, weekday_at(12), 30)
    fresh.hold_expires_at = stale.hold_expires_at + timedelta(hours=1)
    db.session.commit()
    assert lifecycle.expire_holds(now=stale.hold_expires_at) == 1
    db.session.refresh(stale)
    db.session.refresh(fresh)
    assert (stale.status, fresh.status) == ("cancelled", "pending_payment")
    assert "hold_expired" in kinds(stale.id) and "hold_expired" not in kinds(fresh.id)


def test_expired_and_cancelled_holds_close_their_checkout(monkeypatch):
    from kendama.services.payments import checkout

    closed = []
    monkeypatch.setattr(checkout, "close_checkouts", closed.append)
    player = PlayerFactory(setup__paid=True)
    stale = lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 30)
    fan = FanFactory()
    dropped = lifecycle.create_session(fan, player.id, weekday_at(12), 30)
    lifecycle.cancel(fan, dropped.id)
    lifecycle.expire_holds(now=stale.hold_expires_at)
    dispatch_committed()
    assert closed == [dropped.id, stale.id]


def test_expire_holds_is_a_periodic_job():
    from kendama.tasks.periodic import PERIODIC_JOBS

    assert "kendama.jobs.expire_booking_holds" in [name for name, _ in PERIODIC_JOBS]


# --- reschedule ---------------------------------------------------------------------------


def test_reschedule_moves_the_session():
    fan, player = FanFactory(), PlayerFactory(setup__buffer=5)
    session = lifecycle.create_session(fan, player.id, weekday_at(10), 30)
    session.room_name, session.room_url = "old-room", "https://video.example/old-room"
    db.session.commit()
    # 15 minutes later overlaps the session's own old time, which does not count against it.
    moved = lifecycle.reschedule(fan, session.id, session.starts_at + timedelta(minutes=15))
    assert moved.starts_at == weekday_at(10, 15)
    assert moved.blocked_until == moved.ends_at + timedelta(minutes=5)
    assert (moved.reschedule_count, moved.ics_sequence) == (1, 1)
    assert moved.room_name is None and moved.room_url is None
    assert "rescheduled" in kinds(session.id)


def test_reschedule_limits():
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    lifecycle.reschedule(fan, session.id, weekday_at(11))
    lifecycle.reschedule(fan, session.id, weekday_at(12))
    with pytest.raises(PolicyViolation):
        lifecycle.reschedule(fan, session.id, weekday_at(13))


def test_reschedule_too_close_to_the_start():
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    with pytest.raises(PolicyViolation):
        lifecycle.reschedule(fan, session.id, weekday_at(11), now=session.starts_at - timedelta(hours=23))


def test_reschedule_into_a_taken_slot_or_by_a_stranger():
    fan, player = FanFactory(), PlayerFactory()
    session = lifecycle.create_session(fan, player.id, weekday_at(10), 30)
    lifecycle.create_session(FanFactory(), player.id, weekday_at(14), 30)
    with pytest.raises(SlotUnavailable):
        lifecycle.reschedule(fan, session.id, weekday_at(14))
    with pytest.raises(NotFound):
        lifecycle.reschedule(FanFactory(), session.id, weekday_at(15))
    with pytest.raises(NotAllowed):
        lifecycle.reschedule(AdminFactory(), session.id, weekday_at(15))


def test_unpaid_hold_cannot_be_rescheduled():
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory(setup__paid=True).id, weekday_at(10), 30)
    with pytest.raises(WrongState):
        lifecycle.reschedule(fan, session.id, weekday_at(11))


# --- cancel -------------------------------------------------------------------------------


def test_fan_cancels_early_full_refund():
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory(setup__paid=True).id, weekday_at(10), 30)
    mark_paid(session)
    result = lifecycle.cancel(fan, session.id, "Exam week", now=session.starts_at - timedelta(hours=24))
    assert (result.refund.amount, result.refund.currency, result.refund.status) == (2500, "usd", "pending")
    assert result.session.status == "cancelled" and result.session.cancelled_by_role == "fan"
    assert result.session.ics_sequence == 1 and result.session.cancellation_reason == "Exam week"
    refund = db.session.scalar(select(Refund).where(Refund.session_id == session.id))
    assert refund.amount == 2500 and refund.fee_refund_amount == session.platform_fee_amount
    assert "cancelled" in kinds(session.id)


def test_fan_cancels_late_partial_refund():
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory(setup__paid=True, setup__price=999).id, weekday_at(10), 30)
    mark_paid(session)
    quote = lifecycle.cancellation_quote(fan, session.id, now=session.starts_at - timedelta(hours=23, minutes=59))
    assert quote.amount == 500
    result = lifecycle.cancel(fan, session.id, now=session.starts_at - timedelta(hours=23, minutes=59))
    assert result.refund.amount == 500


def test_player_cancels_last_minute_full_refund():
    player = PlayerFactory(setup__paid=True)
    session = lifecycle.create_session(FanFactory(), player.id, weekday_at(10), 30)
    mark_paid(session)
    result = lifecycle.cancel(player, session.id, now=session.starts_at - timedelta(minutes=5))
    assert result.refund.amount == 2500 and result.session.cancelled_by_role == "player"


def test_cancelling_an_unpaid_hold_refunds_nothing():
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory(setup__paid=True).id, weekday_at(10), 30)
    result = lifecycle.cancel(fan, session.id)
    assert (result.refund.amount, result.refund.status) == (0, "none")
    assert db.session.scalar(select(Refund).where(Refund.session_id == session.id)) is None


def test_cancel_twice_or_after_the_start_is_409():
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    with pytest.raises(WrongState):
        lifecycle.cancel(fan, session.id, now=session.starts_at + timedelta(minutes=1))
    lifecycle.cancel(fan, session.id)
    with pytest.raises(WrongState):
        lifecycle.cancel(fan, session.id)


def test_admin_may_cancel_strangers_may_not():
    session = lifecycle.create_session(FanFactory(), PlayerFactory().id, weekday_at(10), 30)
    with pytest.raises(NotFound):
        lifecycle.cancel(FanFactory(), session.id)
    assert lifecycle.cancel(AdminFactory(), session.id).session.cancelled_by_role == "admin"


def test_cancelled_slot_is_free_again():
    fan, player = FanFactory(), PlayerFactory()
    start = weekday_at(10)
    session = lifecycle.create_session(fan, player.id, start, 30)
    lifecycle.cancel(fan, session.id)
    assert lifecycle.create_session(FanFactory(), player.id, start, 30).status == "confirmed"


# --- listing ------------------------------------------------------------------------------


def test_list_sessions_filters_and_visibility():
    fan, player = FanFactory(), PlayerFactory()
    first = lifecycle.create_session(fan, player.id, weekday_at(10), 30)
    second = lifecycle.create_session(fan, player.id, weekday_at(12), 30)
    lifecycle.cancel(fan, second.id)
    LiveSessionFactory()  # someone else's
    assert [s.id for s in queries.list_sessions(fan, upcoming=True).items] == [first.id, second.id]
    assert [s.id for s in queries.list_sessions(player, status="cancelled").items] == [second.id]
    assert queries.list_sessions(FanFactory()).total == 0
    assert queries.list_sessions(AdminFactory()).total >= 3
    overview = queries.sessions_overview(fan)
    assert [s.id for s in overview.upcoming] == [first.id] and [s.id for s in overview.past] == [second.id]


def test_available_actions_follow_the_policy():
    fan = FanFactory()
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    actions = lifecycle.available_actions(session, fan)
    assert actions.can_cancel and actions.can_reschedule
    late = lifecycle.available_actions(session, fan, now=session.starts_at - timedelta(hours=1))
    assert late.can_cancel and not late.can_reschedule and "24 hours" in late.reschedule_note
