"""Booking sessions: create, reschedule, cancel, expire unpaid holds, and what a viewer may do.

What can be booked is offers.py; listing sessions is queries.py.

Double booking is refused twice over: the slot check here gives a clear answer in the common
case, and the database's overlap guard over each player's [starts_at, blocked_until) ranges
(every session but a cancelled one; kendama/dialects.py) is the real guard when two requests
race; its refusal becomes a 409.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, and_, bindparam, exists, or_, select
from sqlalchemy.exc import IntegrityError

from ...dialects import is_overlap_violation, plus_minutes
from ...extensions import db
from ...models import (
    ConsentRecord,
    LiveSession,
    Offering,
    PracticeClip,
    Profile,
    SessionAvailability,
    SessionStatus,
    User,
    utcnow,
)
from ...tasks.queue import after_commit
from .. import discovery
from ..access import session_for_participant, session_for_viewer
from ..calendars import caldav_busy
from ..calendars import writes as calendar_writes
from ..coaching import goals as lesson_goals
from ..errors import InvalidInput, NotFound, ProviderUnavailable, SlotUnavailable, WrongState
from ..notifications import outbox
from ..payments import checkout, credits, refunds
from ..payments.money import split_price
from . import holds, policy, rollout, slots, waitlist, young_fans
from .eligibility import check_booker, check_guardian_allows, check_takes_payments
from .offers import not_offered

MAX_NOTES = 2000
CANCELLABLE = (SessionStatus.PENDING_PAYMENT.value, SessionStatus.CONFIRMED.value)
SLOT_TAKEN = "That time is no longer available. Please choose another."
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefundOutcome:
    amount: int
    currency: str
    status: str  # "pending" (recorded, the payment side carries it out) or "none"


@dataclass(frozen=True)
class Cancellation:
    session: LiveSession
    refund: RefundOutcome


# --- Creating a booking -------------------------------------------------------------------


def create_session(
    fan: User,
    player_id: int,
    start: datetime,
    duration_minutes: int,
    notes: str = "",
    recording_consent: bool = False,
    *,
    goals: Sequence[int] = (),
    goal_note: str = "",
    use_credit: bool = False,
    now: datetime | None = None,
) -> LiveSession:
    """Book a slot: free sessions (and those paid with a package credit) are confirmed at once,
    paid ones held until payment.

    `goals` are up to three catalog trick ids the fan wants to work on, with `goal_note`.
    """
    now = now or utcnow()
    check_booker(fan, player_id)
    found = _read_for_booking(fan.id, player_id, start, now)
    rollout.check_gate(found.gate)
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise InvalidInput({"notes": f"Keep the notes under {MAX_NOTES} characters."})
    goal_tricks, goal_note = lesson_goals.checked(goals, goal_note)
    profile, offered = found.offering(duration_minutes)
    price = 0 if use_credit else offered.price  # the package paid for a credit's lesson
    check_takes_payments(profile, price)
    check_guardian_allows(fan, offered.price, recording_consent)  # a credit's lesson has a price too
    if offered.slot_taken:
        raise SlotUnavailable(SLOT_TAKEN, fields={"start": SLOT_TAKEN})
    _recheck_calendars(player_id, start, duration_minutes, found.buffer_minutes, now)

    lock_user(fan.id)  # one booking at a time per fan, so the self-overlap check below holds
    expire_holds(now=now, player_id=player_id, commit=False)
    if not slots.is_bookable(player_id, duration_minutes, start, now=now):
        raise SlotUnavailable(SLOT_TAKEN, fields={"start": SLOT_TAKEN})
    end = start + timedelta(minutes=duration_minutes)
    if participant_busy(fan.id, start, end, now):
        busy = "You already have a session at that time."
        raise SlotUnavailable(busy, code="overlapping_session", fields={"start": busy})
    waitlist.check_hold(player_id, fan.id, start, end, now)
    credit = credits.claim(fan.id, player_id, duration_minutes, now) if use_credit else None

    split = split_price(price)
    paid = split.price > 0
    session = LiveSession(
        fan_id=fan.id,
        player=found.player,
        starts_at=start,
        ends_at=end,
        blocked_until=end + timedelta(minutes=found.buffer_minutes),
        duration_minutes=duration_minutes,
        status=(SessionStatus.PENDING_PAYMENT if paid else SessionStatus.CONFIRMED).value,
        price_amount=split.price,
        currency=profile.currency,
        platform_fee_amount=split.platform_fee,
        player_share_amount=split.player_share,
        notes=notes,
        goal_note=goal_note,
        hold_expires_at=_hold_end(start, now) if paid else None,
        fan_recording_consent=bool(recording_consent),
        player_recording_consent=profile.recording_default,
        # The player's defaults from their profile; sharing needs recording, so it comes only with it.
        player_sharing_consent=profile.recording_default and profile.sharing_default,
    )
    young_fans.guard_session(session, fan)
    db.session.add(session)
    flush_or_slot_taken(session)
    if credit is not None:
        credits.spend(credit, session, now)
    lesson_goals.attach(session, goal_tricks)
    waitlist.mark_booked(fan.id, player_id, start)
    db.session.add_all(
        [
            ConsentRecord(session_id=session.id, user_id=fan.id, kind="recording", granted=bool(recording_consent)),
            ConsentRecord(
                session_id=session.id, user_id=player_id, kind="recording", granted=profile.recording_default
            ),
            ConsentRecord(
                session_id=session.id, user_id=player_id, kind="sharing", granted=session.player_sharing_consent
            ),
        ]
    )
    if paid:
        outbox.on_awaiting_payment(session, now=now)
        db.session.commit()
        _open_checkout(session)  # it reads the held session afresh, under its lock
    else:
        outbox.on_confirmed(session)
        calendar_writes.mark(session, now=now)
        _commit_keeping_loaded()
    return session


def _recheck_calendars(player_id: int, start: datetime, duration_minutes: int, buffer_minutes: int, now) -> None:
    """Ask the player's CalDAV calendars about the slot before taking it (no lock is held yet)."""
    buffer = timedelta(minutes=buffer_minutes)
    end = start + timedelta(minutes=duration_minutes)
    if caldav_busy.recheck(player_id, start - buffer, end + buffer, now=now):
        raise SlotUnavailable(SLOT_TAKEN, fields={"start": SLOT_TAKEN})


def _hold_end(start: datetime, now: datetime) -> datetime:
    """How long an unpaid booking holds its slot: BOOKING_HOLD_MINUTES, and never past the start."""
    return min(now + timedelta(minutes=current_app.config["BOOKING_HOLD_MINUTES"]), start)


@dataclass(frozen=True)
class _Offered:
    duration_minutes: int
    price: int
    slot_taken: bool  # an active session of the player already overlaps this length from the start


@dataclass(frozen=True)
class _BookingRead:
    """What one read tells a booking request before any lock (see _BOOKING_READ)."""

    gate: rollout.Gate
    buffer_minutes: int | None
    profile: Profile | None  # None when the player is not listed (or offers nothing)
    player: User | None  # loaded here so that answering a new booking reads nothing more
    offerings: list[_Offered]  # shortest first

    def offering(self, duration_minutes: int) -> tuple[Profile, _Offered]:
        """The listed player's offering of that length (404 / 422 as bookable_offering answers)."""
        if self.profile is None:
            raise NotFound("No such player.")
        for offered in self.offerings:
            if offered.duration_minutes == duration_minutes:
                return self.profile, offered
        raise not_offered(offered.duration_minutes for offered in self.offerings)


def _read_for_booking(fan_id: int, player_id: int, start: datetime, now: datetime) -> _BookingRead:
    """The rollout gate, the player's buffer, listing and offerings, and which lengths are taken.

    Most refusals are of slots taken long ago: this one read answers them (and every other
    refusal that needs no lock) in one round trip. A taken slot also fails is_bookable, so the
    answer is the same; a free-looking slot still goes through the full checks under the lock,
    and the exclusion constraint settles races.
    """
    values = {"fan_id": fan_id, "player_id": player_id, "start": start, "now": now}
    rows = db.session.execute(_BOOKING_READ, values).all()
    first = rows[0]
    gate = rollout.Gate(first.stored_state, first.fan_allowlisted, first.player_allowlisted)
    if first.Profile is None:
        return _BookingRead(gate, first.buffer_minutes, None, None, [])
    offerings = [_Offered(row.duration_minutes, row.price_amount, row.slot_taken) for row in rows]
    return _BookingRead(gate, first.buffer_minutes, first.Profile, first.User, offerings)


def _commit_keeping_loaded() -> None:
    """Commit without expiring the loaded rows, so the answer is built without reading them again.

    Safe for a new booking: every column's default is computed in Python, so the objects hold
    exactly what was written.
    """
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _open_checkout(session: LiveSession) -> None:
    """Open the Stripe Checkout for a held paid booking.

    The hold is already committed, so an outage at the payment provider does not lose the slot:
    the fan can open the checkout again from the payment page while the hold lasts.
    """
    try:
        checkout.open_checkout(session.id)
    except ProviderUnavailable:
        log.warning("checkout for session %s could not be opened; the fan can retry", session.id)


def lock_user(user_id: int) -> None:
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def buffer_minutes(player_id: int) -> int:
    """The player's buffer now; it is fixed into blocked_until, so later changes keep old bookings."""
    return db.session.get(SessionAvailability, player_id).buffer_minutes


# Every booking request runs this read, most of them only this (after the token's): it is built
# once with bind parameters, since building it anew cost more than running it. The scalar
# subqueries make a one-row base, so a player who is not listed still gets the gate's answer
# (the gate is checked first); each offered length says whether its slot is taken from `start`,
# so the requested length (any integer a client sends) never reaches SQL.
_START = bindparam("start", type_=LiveSession.starts_at.type)
_PLAYER = bindparam("player_id", type_=Integer)
_GATE_AND_BUFFER = select(
    *rollout.gate_columns(bindparam("fan_id", type_=Integer), _PLAYER),
    select(SessionAvailability.buffer_minutes)
    .where(SessionAvailability.player_id == _PLAYER)
    .scalar_subquery()
    .label("buffer_minutes"),
).subquery("gate")
_LENGTH_TAKEN = (
    exists()
    .where(
        LiveSession.player_id == _PLAYER,
        LiveSession.holds_time(bindparam("now", type_=LiveSession.starts_at.type)),
        LiveSession.starts_at < plus_minutes(_START, Offering.duration_minutes),
        LiveSession.blocked_until > _START,
    )
    .correlate(Offering)
)
_LISTED_OFFERINGS = Profile.__table__.join(User.__table__, User.id == Profile.user_id).join(
    Offering.__table__, Offering.player_id == Profile.user_id
)
_BOOKING_READ = (
    select(
        _GATE_AND_BUFFER,
        Profile,
        User,
        Offering.duration_minutes,
        Offering.price_amount,
        _LENGTH_TAKEN.label("slot_taken"),
    )
    .select_from(
        _GATE_AND_BUFFER.outerjoin(_LISTED_OFFERINGS, and_(Profile.user_id == _PLAYER, *discovery.listing_conditions()))
    )
    .order_by(Offering.duration_minutes)
)


def participant_busy(
    user_id: int, start: datetime, end: datetime, now: datetime, exclude_session_id: int | None = None
) -> bool:
    """Whether the user (as fan or as player) has another session holding time that overlaps [start, end)."""
    query = select(LiveSession.id).where(
        or_(LiveSession.fan_id == user_id, LiveSession.player_id == user_id),
        LiveSession.holds_time(now),
        LiveSession.starts_at < end,
        LiveSession.ends_at > start,
    )
    if exclude_session_id is not None:
        query = query.where(LiveSession.id != exclude_session_id)
    return db.session.scalar(query.limit(1)) is not None


def flush_or_slot_taken(session: LiveSession) -> None:
    """Write the row; a racing booking that got there first turns into a 409."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        if is_overlap_violation(exc):
            raise SlotUnavailable(SLOT_TAKEN, fields={"start": SLOT_TAKEN}) from exc
        raise


# --- Unpaid holds -------------------------------------------------------------------------


def expire_holds(*, now: datetime | None = None, player_id: int | None = None, commit: bool = True) -> int:
    """Cancel unpaid holds whose time is up (by the system), releasing their slots.

    Each fan is told, and each hold's Checkout is closed at Stripe after the commit so it can no
    longer be paid (a payment that still slips through is refunded by the payments service).
    """
    now = now or utcnow()
    query = select(LiveSession).where(
        LiveSession.status == SessionStatus.PENDING_PAYMENT.value,
        LiveSession.hold_expires_at <= now,
    )
    if player_id is not None:
        query = query.where(LiveSession.player_id == player_id)
    # SKIP LOCKED: a hold being paid or cancelled right now is left to that transaction.
    expired = db.session.scalars(query.with_for_update(skip_locked=True)).all()
    for session in expired:
        holds.release_hold(session, holds.RAN_OUT, now)
        after_commit("kendama.jobs.expire_checkouts", session.id)
    outbox.queue_all(holds.ran_out_notice(held) for held in expired)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return len(expired)


# --- Reschedule and cancel ----------------------------------------------------------------


def actor_role(session: LiveSession, actor: User) -> str:
    """How the actor relates to the session: fan, player or admin."""
    return session.participant_role(actor.id) or policy.ADMIN


def reschedule(actor: User, session_id: int, new_start: datetime, *, now: datetime | None = None) -> LiveSession:
    """Move a confirmed session to another free slot of the same player, within the policy."""
    now = now or utcnow()
    unlocked = session_for_participant(actor, session_id)
    if unlocked.status == SessionStatus.CONFIRMED.value and new_start != unlocked.starts_at:
        _recheck_calendars(
            unlocked.player_id, new_start, unlocked.duration_minutes, buffer_minutes(unlocked.player_id), now
        )
    db.session.expire(unlocked)  # the locked read below must see the row as it is now, not as read above
    session = session_for_participant(actor, session_id, for_update=True)
    if session.status != SessionStatus.CONFIRMED.value:
        raise WrongState("Only confirmed sessions can be rescheduled.")
    policy.check_reschedule(session, now)
    if new_start == session.starts_at:
        raise InvalidInput({"start": "Choose a time other than the current one."})
    if not slots.is_bookable(
        session.player_id, session.duration_minutes, new_start, now=now, exclude_session_id=session.id
    ):
        raise SlotUnavailable(SLOT_TAKEN, fields={"start": SLOT_TAKEN})
    new_end = new_start + timedelta(minutes=session.duration_minutes)
    if participant_busy(session.fan_id, new_start, new_end, now, exclude_session_id=session.id):
        raise SlotUnavailable(
            "That time does not work for both participants.",
            fields={"start": "That time does not work for both participants."},
        )
    waitlist.check_hold(session.player_id, session.fan_id, new_start, new_end, now)

    previous_start = session.starts_at
    buffer = timedelta(minutes=buffer_minutes(session.player_id))
    session.starts_at = new_start
    session.ends_at = new_end
    session.blocked_until = new_end + buffer
    session.ics_sequence += 1
    session.reschedule_count += 1
    # The video side makes a fresh room for the new time.
    session.room_name = None
    session.room_url = None
    flush_or_slot_taken(session)
    outbox.on_rescheduled(session, previous_start)
    calendar_writes.mark(session, now=now)
    db.session.commit()
    return session


def cancel_refusal(session: LiveSession, role: str, now: datetime) -> str | None:
    """Why `role` may not cancel the session now, or None: the one rule for the buttons and the cancel."""
    if session.status not in CANCELLABLE:
        return "This session can no longer be cancelled."
    if role != policy.ADMIN and now >= session.starts_at:
        return "The session has already started, so it can no longer be cancelled."
    return None


def _check_cancellable(session: LiveSession, role: str, now: datetime) -> None:
    if refusal := cancel_refusal(session, role, now):
        raise WrongState(refusal)


def cancellation_quote(actor: User, session_id: int, *, now: datetime | None = None) -> policy.RefundQuote:
    """What cancelling now would give back, shown before the actor confirms."""
    now = now or utcnow()
    session = session_for_viewer(actor, session_id)
    role = actor_role(session, actor)
    _check_cancellable(session, role, now)
    return _quote(session, role, now)


def _quote(session: LiveSession, role: str, now: datetime) -> policy.RefundQuote:
    if credits.credit_of(session.id) is not None:
        return policy.credit_quote(session.currency, session.starts_at, role, now)
    payment = refunds.paid_payment(session)
    paid = payment.amount if payment is not None else 0
    return policy.refund_quote(paid, session.currency, session.starts_at, role, now)


def cancel(
    actor: User, session_id: int, reason: str = "", *, now: datetime | None = None, on_behalf: str | None = None
) -> Cancellation:
    """Cancel a session; the policy's refund is recorded in the same transaction (`on_behalf`: see guardian_cancel)."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if len(reason) > MAX_NOTES:
        raise InvalidInput({"reason": f"Keep the reason under {MAX_NOTES} characters."})
    session = session_for_viewer(actor, session_id, for_update=True)
    role = actor_role(session, actor)
    _check_cancellable(session, role, now)
    quote = _quote(session, role, now)
    refund = refunds.request_refund(session, quote.amount)
    if quote.credit and quote.percent == 100:
        credits.give_back(session, now)  # a lesson paid with a credit: the credit, not money
    if session.status == SessionStatus.PENDING_PAYMENT.value:
        after_commit("kendama.jobs.expire_checkouts", session.id)  # its Checkout must not stay payable

    session.mark_cancelled(now, on_behalf or role, reason, by_id=None if on_behalf else actor.id)
    if _has_clips(session.id):
        after_commit("kendama.jobs.delete_session_clips", session.id)  # the periodic sweep is the backstop
    after_commit("kendama.jobs.run_waitlist", session.player_id)  # the freed time may be someone's wait
    refunded = refund.amount if refund is not None else 0
    outbox.on_cancelled(session, refunded)
    calendar_writes.mark(session, now=now)
    db.session.commit()
    outcome = RefundOutcome(refunded, session.currency, refund.status if refund is not None else "none")
    return Cancellation(session, outcome)


def _has_clips(session_id: int) -> bool:
    return db.session.scalar(select(PracticeClip.id).where(PracticeClip.session_id == session_id).limit(1)) is not None


@dataclass(frozen=True)
class Actions:
    """What the viewer may do with a session now, and why not, for the dashboard's buttons."""

    can_cancel: bool
    can_reschedule: bool
    reschedule_note: str | None


def available_actions(session: LiveSession, viewer: User, *, now: datetime | None = None) -> Actions:
    now = now or utcnow()
    role = actor_role(session, viewer)
    can_cancel = cancel_refusal(session, role, now) is None
    note = None
    if role == policy.ADMIN or session.status != SessionStatus.CONFIRMED.value:
        can_reschedule = False
    else:
        note = policy.reschedule_refusal(session, now)
        can_reschedule = note is None
    return Actions(can_cancel, can_reschedule, note)
