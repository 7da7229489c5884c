"""Sessions and availability -> API shapes, built through their response schemas."""

from __future__ import annotations

from datetime import time

from ...models import LiveSession, SessionAvailability, User
from ...services.booking.lifecycle import RefundOutcome
from ...services.booking.offers import SlotList
from ...services.payments import checkout
from ...services.timezones import iso_utc
from .schemas import Money
from .session_schemas import (
    AvailabilityOut,
    Consent,
    DateOverrideOut,
    Participant,
    RefundOut,
    SessionOut,
    SessionUpdateOut,
    SlotListOut,
    SlotOut,
    TrickRef,
    WeeklyWindowOut,
)


def _clock(value: time | None, *, is_end: bool = False) -> str | None:
    if value is None:
        return None
    if is_end and value == time(0):
        return "24:00"
    return value.strftime("%H:%M")


def availability_out(availability: SessionAvailability) -> dict:
    return AvailabilityOut(
        player_id=availability.player_id,
        timezone=availability.timezone,
        weekly=[
            WeeklyWindowOut(weekday=w.weekday, start=_clock(w.start_time), end=_clock(w.end_time, is_end=True))
            for w in availability.windows
        ],
        overrides=[
            DateOverrideOut(date=o.date.isoformat(), start=_clock(o.start_time), end=_clock(o.end_time, is_end=True))
            for o in availability.overrides
        ],
        buffer_minutes=availability.buffer_minutes,
        min_notice_minutes=availability.min_notice_minutes,
        max_days_ahead=availability.max_days_ahead,
    ).model_dump()


def slot_list_out(result: SlotList) -> dict:
    return SlotListOut(
        player_id=result.player_id,
        duration_minutes=result.duration_minutes,
        slots=[SlotOut(start=iso_utc(s.start), end=iso_utc(s.end)) for s in result.slots],
    ).model_dump()


def _session(session: LiveSession, viewer: User) -> dict:
    sees_payout = viewer.is_admin or viewer.id == session.player_id
    return dict(
        id=session.id,
        status=session.status,
        start=iso_utc(session.starts_at),
        end=iso_utc(session.ends_at),
        duration_minutes=session.duration_minutes,
        fan=Participant(id=session.fan.id, display_name=session.fan.display_name),
        player=Participant(id=session.player.id, display_name=session.player.display_name),
        price=Money(amount=session.price_amount, currency=session.currency),
        player_share=Money(amount=session.player_share_amount, currency=session.currency) if sees_payout else None,
        notes=session.notes,
        goals=[TrickRef(id=goal.trick.id, name=goal.trick.name) for goal in session.goals],
        goal_note=session.goal_note,
        hold_expires_at=iso_utc(session.hold_expires_at) if session.status == "pending_payment" else None,
        checkout_url=_checkout_url(session, viewer),
        recording_consent=Consent(fan=session.fan_recording_consent, player=session.player_recording_consent),
        reschedule_count=session.reschedule_count,
        cancelled_at=iso_utc(session.cancelled_at),
        cancelled_by=session.cancelled_by_role,
        cancellation_reason=session.cancellation_reason,
        fan_is_minor=session.fan_is_minor,
    )


def _checkout_url(session: LiveSession, viewer: User) -> str | None:
    """Where the fan pays for a held booking (only the fan sees it)."""
    if session.status != "pending_payment" or viewer.id != session.fan_id:
        return None
    payment = checkout.open_payment(session)
    return payment.checkout_url if payment else None


def session_out(session: LiveSession, viewer: User) -> dict:
    return SessionOut(**_session(session, viewer)).model_dump()


def session_update_out(session: LiveSession, viewer: User, refund: RefundOutcome | None = None) -> dict:
    refund_out = RefundOut(amount=refund.amount, currency=refund.currency, status=refund.status) if refund else None
    return SessionUpdateOut(**_session(session, viewer), refund=refund_out).model_dump()
