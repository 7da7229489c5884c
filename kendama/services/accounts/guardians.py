"""Young fans and their guardians: who needs one, asking them, their signed links and their choices.

A fan counts as young from the birth year alone, the cautious way: under GUARDIAN_AGE until the
calendar year in which they turn GUARDIAN_AGE + 1 begins, since in the year they turn
GUARDIAN_AGE they may not have had their birthday yet. An account without a birth year (players,
admins, API accounts that declared none) counts as an adult.

A guardian has no account. They get a signed link (minted when the email is composed, never
stored) to confirm and choose what the fan may do; until then the fan may browse but not book.
Naming another address makes the old links die (`link_version`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import (
    ConsentRecord,
    GuardianConsent,
    GuardianState,
    LiveSession,
    Role,
    SessionStatus,
    User,
    utcnow,
)
from ..errors import NotAllowed, WrongState
from ..notifications import outbox
from . import signing

EARLIEST_BIRTH_YEAR = 1900
# A cancel link in the guardian's copy must work until the session starts (the cancellation
# rule refuses it after that), and bookings reach at most a few months ahead.
CANCEL_LINK_SECONDS = 120 * 24 * 3600

# Codes of the refusals a young fan meets (docs/api.md lists them).
CONSENT_REQUIRED = "guardian_consent_required"
FORBIDS_FREE = "guardian_forbids_free"
FORBIDS_PAID = "guardian_forbids_paid"
FORBIDS_RECORDING = "guardian_forbids_recording"
FORBIDS_SHARING = "guardian_forbids_sharing"


@dataclass(frozen=True)
class Allowances:
    """What a guardian allows; an adult needs nobody's leave, so every allowance is true for them."""

    free_lessons: bool = False
    paid_lessons: bool = False
    recording: bool = False
    sharing: bool = False  # the fan's progress with every player they book; never recordings

    def as_dict(self) -> dict[str, bool]:
        return {
            "free_lessons": self.free_lessons,
            "paid_lessons": self.paid_lessons,
            "recording": self.recording,
            "sharing": self.sharing,
        }


EVERYTHING = Allowances(True, True, True, True)
NOTHING = Allowances()


@dataclass(frozen=True)
class GuardianStatus:
    """A fan's guardian as the fan sees it: "none" (no guardian asked), "pending" or "approved"."""

    required: bool
    status: str
    guardian_email: str | None
    allowances: Allowances


# --- Who is young ---------------------------------------------------------------------------


def birth_year_problem(year: int | None, *, now: datetime | None = None) -> str | None:
    """Why a birth year cannot be right, or None (None itself is fine: the API keeps it optional)."""
    this_year = (now or utcnow()).year
    if year is None or EARLIEST_BIRTH_YEAR <= year <= this_year:
        return None
    return f"Enter the year you were born, as four digits between {EARLIEST_BIRTH_YEAR} and {this_year}."


def is_minor_by_year(birth_year: int | None, *, now: datetime | None = None) -> bool:
    """Whether someone born in `birth_year` may still be under GUARDIAN_AGE (see the module docstring)."""
    if birth_year is None:
        return False
    return (now or utcnow()).year - birth_year <= current_app.config["GUARDIAN_AGE"]


def needs_guardian(user: User, *, now: datetime | None = None) -> bool:
    """A fan young enough that a guardian decides what they may book."""
    return user.role == Role.FAN.value and is_minor_by_year(user.birth_year, now=now)


def check_new_fan(role: str, birth_year: int | None, guardian_email: str | None, own_email: str) -> dict[str, str]:
    """The field problems of a new account's birth year and guardian (empty: none).

    Both addresses come normalised (accounts.normalise_email); `guardian_email` is None when
    none was given.
    """
    if problem := birth_year_problem(birth_year):
        return {"birth_year": problem}
    if role != Role.FAN.value or not is_minor_by_year(birth_year):
        return {}
    if guardian_email is None:
        age = current_app.config["GUARDIAN_AGE"]
        return {"guardian_email": f"Fans under {age} need a parent or guardian: enter their email address."}
    if guardian_email == own_email:
        return {"guardian_email": "Enter your parent's or guardian's own address, not yours."}
    return {}


# --- Asking the guardian ----------------------------------------------------------------------


def consent_of(fan_id: int) -> GuardianConsent | None:
    return db.session.scalar(select(GuardianConsent).where(GuardianConsent.fan_id == fan_id))


def name_guardian(fan: User, guardian_email: str | None) -> GuardianConsent | None:
    """Keep the guardian (a normalised address) a new account named, in the caller's transaction; no email yet.

    Another address than before starts over: not approved, nothing allowed, old links dead. A
    fan who needs no guardian any more (a registration made again with another year) has none.
    """
    consent = consent_of(fan.id)
    guardian = guardian_email if needs_guardian(fan) else None
    if guardian is None:
        if consent is not None:
            db.session.delete(consent)
        return None
    if consent is None:
        consent = GuardianConsent(fan_id=fan.id, guardian_email=guardian)
        db.session.add(consent)
    elif consent.guardian_email != guardian:
        consent.guardian_email = guardian
        consent.link_version += 1
        _set(consent, GuardianState.PENDING, NOTHING, approved_at=None)
    db.session.flush()
    return consent


def ask_guardian(fan: User) -> None:
    """Queue the email that asks the fan's guardian to confirm (the caller commits)."""
    if consent_of(fan.id) is not None:
        outbox.queue(fan.id, "guardian_request")


def resend(fan: User) -> GuardianStatus:
    """Send the guardian's link again, as the fan asks (their guardian may have lost the email)."""
    if consent_of(fan.id) is None or not needs_guardian(fan):
        raise WrongState("You have no guardian to send a link to.", code="no_guardian")
    ask_guardian(fan)
    db.session.commit()
    return status_of(fan)


def status_of(fan: User) -> GuardianStatus:
    """The fan's guardian, whether they answered, and what the fan may do."""
    if not needs_guardian(fan):  # the booking path asks for every fan: no query for adults
        return GuardianStatus(False, "none", None, EVERYTHING)
    consent = consent_of(fan.id)
    if consent is None:
        return GuardianStatus(True, "none", None, NOTHING)
    return GuardianStatus(True, consent.state, consent.guardian_email, allowances_of(fan, consent))


def allowances_of(fan: User, consent: GuardianConsent | None = None) -> Allowances:
    """What the fan may do: everything for an adult; for a young fan, what the guardian approved."""
    if not needs_guardian(fan):
        return EVERYTHING
    consent = consent or consent_of(fan.id)
    if consent is None or not consent.approved:
        return NOTHING
    return Allowances(
        consent.allow_free_lessons, consent.allow_paid_lessons, consent.allow_recording, consent.allow_sharing
    )


def check_sharing_allowed(fan: User) -> None:
    """A young fan shares their progress with every player only when the guardian allows it."""
    if not allowances_of(fan).sharing:
        raise NotAllowed("Your guardian has not allowed sharing your progress with every player.", code=FORBIDS_SHARING)


# --- The guardian's links -----------------------------------------------------------------------


def consent_token(consent: GuardianConsent) -> str:
    """The guardian's link to confirm and choose; it dies when the fan names another address."""
    return signing.sign("guardian-consent", {"c": consent.id, "v": consent.link_version})


def consent_for_link(token: str) -> GuardianConsent:
    """The consent a guardian's link opens; NotAllowed for a forged, expired or outdated one."""
    data = signing.unsign("guardian-consent", token, current_app.config["GUARDIAN_LINK_SECONDS"])
    return _current_consent(data)


def approve(token: str, allowances: Allowances, *, now: datetime | None = None) -> GuardianConsent:
    """The guardian confirms and chooses; they may come back through the link to choose again.

    Taking an allowance back also takes back what it let the fan choose: progress shared with
    every player, and the fan's consent to recording sessions that have not started.
    """
    now = now or utcnow()
    consent = consent_for_link(token)
    _set(consent, GuardianState.APPROVED, allowances, approved_at=consent.approved_at or now)
    if not allowances.sharing:
        consent.fan.progress_shared_with_players = False
    if not allowances.recording:
        _withdraw_recording_consent(consent.fan_id, now)
    db.session.commit()
    return consent


def cancel_token(consent: GuardianConsent, session_id: int) -> str:
    """The link in a guardian's copy that cancels that session (it dies with the consent's version)."""
    return signing.sign("guardian-cancel", {"c": consent.id, "v": consent.link_version, "s": session_id})


def session_for_cancel_link(token: str) -> LiveSession:
    """The young fan's session a guardian's cancel link names; NotAllowed when the link is dead."""
    data = signing.unsign("guardian-cancel", token, CANCEL_LINK_SECONDS)
    consent = _current_consent(data)
    session = db.session.get(LiveSession, data.get("s"))
    if session is None or session.fan_id != consent.fan_id or not consent.approved:
        raise NotAllowed("This link is not valid.", code="link_invalid")
    return session


def _current_consent(data) -> GuardianConsent:
    consent = db.session.get(GuardianConsent, data.get("c")) if isinstance(data, dict) else None
    if consent is None or consent.link_version != data.get("v") or not consent.fan.is_active_account:
        raise NotAllowed(
            "This link is no longer valid: the fan named another guardian, or closed the account.", code="link_used"
        )
    return consent


def _set(consent: GuardianConsent, state: GuardianState, allowances: Allowances, *, approved_at) -> None:
    consent.state = state.value
    consent.allow_free_lessons = allowances.free_lessons
    consent.allow_paid_lessons = allowances.paid_lessons
    consent.allow_recording = allowances.recording
    consent.allow_sharing = allowances.sharing
    consent.approved_at = approved_at


def _withdraw_recording_consent(fan_id: int, now: datetime) -> None:
    """The fan's consent to recording ends on their sessions still to start, with an audit row each."""
    sessions = db.session.scalars(
        select(LiveSession).where(
            LiveSession.fan_id == fan_id,
            LiveSession.fan_recording_consent.is_(True),
            LiveSession.status.in_((SessionStatus.PENDING_PAYMENT.value, SessionStatus.CONFIRMED.value)),
            LiveSession.starts_at > now,
        )
    ).all()
    for session in sessions:
        session.fan_recording_consent = False
        db.session.add(
            ConsentRecord(session_id=session.id, user_id=fan_id, kind="recording", granted=False, created_at=now)
        )
