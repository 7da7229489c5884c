"""Who may book whom: the refusals a booking meets before any time is looked at.

`booking.create_session` enforces them (with the rollout gate, read in its one query); the
booking page asks `booking_refusal` first, so a fan who cannot book is told before they fill the
form, in the same words and with the same code the booking itself would answer.
"""

from __future__ import annotations

from ...models import Profile, User
from ..accounts import guardians
from ..errors import InvalidInput, NotAllowed, Refusal, ServiceError, SlotUnavailable
from ..payments import payouts
from . import rollout

# The codes of these refusals (POST /api/sessions answers them; docs/api.md lists them).
ADMIN_CANNOT_BOOK = "admin_cannot_book"
SELF_BOOKING = "self_booking"
PAYMENTS_UNAVAILABLE = "payments_unavailable"


def check_booker(fan: User, player_id: int) -> None:
    """Administrators book nobody, and nobody books themselves."""
    if fan.is_admin:
        raise NotAllowed("Administrators cannot book sessions; sign in with a fan account.", code=ADMIN_CANNOT_BOOK)
    if fan.id == player_id:
        message = "You cannot book a session with yourself."
        raise InvalidInput({"player_id": message}, message, code=SELF_BOOKING)


def check_takes_payments(profile: Profile, price: int) -> None:
    """A paid length needs a player whose payout account can take charges.

    Checked before a booking writes anything: a hold that no Checkout could be opened for would
    keep the slot from everyone for the length of the hold.
    """
    if price > 0 and not payouts.can_take_charges(profile):
        raise SlotUnavailable(
            "This player cannot take payments right now; please try again later.", code=PAYMENTS_UNAVAILABLE
        )


def check_guardian_allows(fan: User, price: int, recording: bool = False) -> None:
    """A young fan books only what their guardian allows: nothing until the guardian confirms.

    Asking for the lesson to be recorded needs the guardian's leave too (the booking page does
    not offer it otherwise); sharing a young fan's recording is never possible (young_fans.py).
    """
    status = guardians.status_of(fan)
    if not status.required:
        return
    if status.status != "approved":
        message = "Your parent or guardian has not confirmed yet: you can look around, and book once they have."
        raise NotAllowed(message, code=guardians.CONSENT_REQUIRED)
    allowed = status.allowances
    if price > 0 and not allowed.paid_lessons:
        raise NotAllowed("Your guardian has not allowed lessons that cost money.", code=guardians.FORBIDS_PAID)
    if price == 0 and not allowed.free_lessons:
        raise NotAllowed("Your guardian has not allowed lessons that cost nothing.", code=guardians.FORBIDS_FREE)
    if recording and not allowed.recording:
        message = "Your guardian has not allowed recording your lessons."
        raise NotAllowed(message, code=guardians.FORBIDS_RECORDING, fields={"recording_consent": message})


def booking_refusal(viewer: User | None, profile: Profile, duration_minutes: int) -> Refusal | None:
    """Why `viewer` (None: a visitor who has not signed in) cannot book this length of this listed player now.

    None when nothing refuses them yet; the time they pick can still be taken, or overlap one of
    their own sessions, which only the booking itself can tell.
    """
    price = next((o.price_amount for o in profile.offerings if o.duration_minutes == duration_minutes), 0)
    try:
        if viewer is not None:
            check_booker(viewer, profile.user_id)
            check_guardian_allows(viewer, price)
        closed = rollout.refusal(rollout.gate(viewer.id if viewer else None, profile.user_id))
        if closed is None or not closed.final:
            check_takes_payments(profile, price)
    except ServiceError as exc:
        return Refusal.of(exc)
    return closed
