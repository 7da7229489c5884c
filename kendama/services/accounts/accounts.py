"""Accounts: registration, sign-in checks, password changes and resets."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, null, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Profile, Role, SessionAvailability, User, utcnow
from ..errors import Conflict, EmailNotConfirmed, InvalidInput, NotAllowed
from ..notifications import outbox
from ..timezones import is_valid_zone
from . import guardians, sign_ins, signing
from .passwords import hash_password, needs_rehash, password_problem, verify_password

SELF_SERVICE_ROLES = (Role.FAN.value, Role.PLAYER.value)
DISPLAY_NAME_MAX = 80  # the column's length (models/users.py)


def display_name_problem(name: str) -> str | None:
    """Why a display name cannot be used, or None: the one rule for registration, settings and profiles."""
    if not 1 <= len(name.strip()) <= DISPLAY_NAME_MAX:
        return f"Enter a name of 1 to {DISPLAY_NAME_MAX} characters."
    return None


# A real hash of a random password: checking against it when the email is unknown makes a
# failed sign-in take as long as a wrong password, so timing does not reveal who has an account.
_DUMMY_HASH: str | None = None


def normalise_email(email: str) -> str:
    """Validate an address and return it in the form we store (lower case)."""
    try:
        result = validate_email(email or "", check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput({"email": "Enter a valid email address."}) from exc
    return result.normalized.lower()


def _check_new_account(
    email: str,
    password: str,
    display_name: str,
    role: str,
    timezone: str,
    birth_year: int | None = None,
    guardian_email: str | None = None,
) -> dict:
    errors: dict[str, str] = {}
    try:
        email = normalise_email(email)
    except InvalidInput as exc:
        errors.update(exc.fields)
    guardian = None
    if (guardian_email or "").strip():
        try:
            guardian = normalise_email(guardian_email)
        except InvalidInput:
            errors["guardian_email"] = "Enter a valid email address for your parent or guardian."
    for name, problem in guardians.check_new_fan(role, birth_year, guardian, email).items():
        errors.setdefault(name, problem)
    display_name = (display_name or "").strip()
    if problem := password_problem(password or "", (email, display_name)):
        errors["password"] = problem
    if problem := display_name_problem(display_name):
        errors["display_name"] = problem
    if role not in SELF_SERVICE_ROLES:
        errors["role"] = "Choose fan or player."
    if not is_valid_zone(timezone or ""):
        errors["timezone"] = "Choose a time zone from the list (an IANA name such as Europe/Prague)."
    if errors:
        raise InvalidInput(errors)
    # Only a fan's birth year is kept: it is what decides whether a guardian is asked.
    fan_year = birth_year if role == Role.FAN.value else None
    return {"email": email, "display_name": display_name, "birth_year": fan_year, "guardian_email": guardian}


def register_user(
    email: str,
    password: str,
    display_name: str,
    role: str,
    timezone: str,
    *,
    birth_year: int | None = None,
    guardian_email: str | None = None,
) -> User:
    """Create a fan or player account, usable at once (the API's way; admins come from the command line).

    A young fan's guardian is asked at once; the fan may browse, and book once the guardian agrees.
    """
    clean = _check_new_account(email, password, display_name, role, timezone, birth_year, guardian_email)
    user = _add_user(
        clean["email"], hash_password(password), clean["display_name"], role, timezone, birth_year=clean["birth_year"]
    )
    guardians.name_guardian(user, clean["guardian_email"])
    guardians.ask_guardian(user)
    db.session.commit()
    return user


def _add_user(email: str, password_hash: str, display_name: str, role: str, timezone: str, **values) -> User:
    """A new account in the current transaction; Conflict (the transaction rolled back) when the email is taken."""
    user = User(
        email=email,
        password_hash=password_hash,
        display_name=display_name,
        role=role,
        timezone=timezone,
        calendar_token=secrets.token_urlsafe(32),
        **values,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        message = "An account with this email already exists."
        raise Conflict(message, code="email_taken", fields={"email": message}) from exc
    _give_role_records(user)
    return user


def _give_role_records(user: User) -> None:
    """A player has a profile and booking rules; a fan has neither."""
    profile = db.session.get(Profile, user.id)
    availability = db.session.get(SessionAvailability, user.id)
    if user.role == Role.PLAYER.value:
        if profile is None:
            db.session.add(Profile(user_id=user.id))
        if availability is None:
            db.session.add(SessionAvailability(player_id=user.id, timezone=user.timezone))
    else:
        for record in (profile, availability):
            if record is not None:
                db.session.delete(record)


def start_registration(
    email: str,
    password: str,
    display_name: str,
    role: str,
    timezone: str,
    *,
    birth_year: int | None = None,
    guardian_email: str | None = None,
    next_path: str | None = None,
) -> None:
    """The registration page: the same answer whether or not the address has an account.

    A new address gets an account that waits for the link emailed to it (`confirm_email`); an
    address with an account gets an email saying that someone tried to register with it, with
    the ways to sign in or reset the password. Either way the password is hashed and one email
    is queued, so neither the page nor the time it takes tells who has an account. A young
    fan's guardian is asked only once the fan's own address is confirmed.
    """
    clean = _check_new_account(email, password, display_name, role, timezone, birth_year, guardian_email)
    details = {
        "password_hash": hash_password(password),
        "display_name": clean["display_name"],
        "role": role,
        "timezone": timezone,
        "birth_year": clean["birth_year"],
    }
    user = db.session.scalar(select(User).where(User.email == clean["email"]))
    if user is None:
        try:
            # null(), not None: None would let the column's default (confirmed now) apply.
            user = _add_user(clean["email"], **details, email_confirmed_at=null())
        except Conflict:  # a registration of the same address committed meanwhile
            user = db.session.scalar(select(User).where(User.email == clean["email"]))
    elif user.email_confirmed_at is None:
        # Still waiting: the newest registration's details replace the earlier ones and their
        # links stop working (auth_version), so an address that someone else registered is
        # taken back by registering it; only the address's owner can open the link.
        for name, value in details.items():
            setattr(user, name, value)
        user.auth_version += 1
        _give_role_records(user)
    if user.email_confirmed_at is None:
        guardians.name_guardian(user, clean["guardian_email"])
        outbox.queue(user.id, "confirm_email", payload={"next": next_path} if next_path else None)
    else:
        outbox.queue(user.id, "registration_attempt")
    db.session.commit()


def email_confirmation_token(user: User, next_path: str | None = None) -> str:
    """A signed link token that finishes a waiting account; it dies with a newer registration or after a day."""
    return signing.sign("email-confirm", {"uid": user.id, "v": user.auth_version, "next": next_path})


def waiting_account(token: str) -> tuple[User, str | None]:
    """The account a confirmation link finishes and where it leads next; NotAllowed for a dead link."""
    data = signing.unsign("email-confirm", token, current_app.config["EMAIL_CONFIRMATION_SECONDS"])
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or user.auth_version != data.get("v") or not user.is_active_account:
        raise NotAllowed("This link is no longer valid. Register again to get a new one.", code="link_used")
    if user.email_confirmed_at is not None:
        raise NotAllowed("This account is ready already: sign in.", code="link_used")
    return user, data.get("next")


def confirm_email(token: str, password: str) -> User:
    """Finish a waiting account from its emailed link, with the password chosen when registering.

    The password too, not the link alone: someone who registered another person's address
    cannot have that person finish an account whose password the registrant knows.
    """
    user, _next = waiting_account(token)
    if not verify_password(user.password_hash, password or ""):
        raise InvalidInput({"password": "This is not the password you chose when you registered."})
    user.email_confirmed_at = utcnow()
    guardians.ask_guardian(user)
    db.session.commit()
    return user


def create_admin(email: str, password: str, display_name: str = "Administrator") -> User:
    """Create an administrator, or promote an existing account and reset its password."""
    email = normalise_email(email)
    if problem := password_problem(password, (email, display_name)):
        raise InvalidInput({"password": problem})
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, display_name=display_name, timezone="UTC", calendar_token=secrets.token_urlsafe(32))
        db.session.add(user)
        user.password_hash = hash_password(password)
    else:
        _set_password(user, password)
        user.email_confirmed_at = user.email_confirmed_at or utcnow()
    user.role = Role.ADMIN.value
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same cost either way).

    A waiting account (registered on the page, link not opened) with the right password is
    sent a new link and refused with EmailNotConfirmed.
    """
    global _DUMMY_HASH
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
        verify_password(_DUMMY_HASH, password or "")
        return None
    if not verify_password(user.password_hash, password or "") or not user.is_active_account:
        return None
    if user.email_confirmed_at is None:
        outbox.queue(user.id, "confirm_email")
        db.session.commit()
        raise EmailNotConfirmed(
            "This account is not finished yet: we emailed you a new link to finish it. Open it, then sign in."
        )
    if needs_rehash(user.password_hash):
        # The only moment the plain password is at hand: bring the hash up to today's cost.
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def change_password(user_id: int, current_password: str, new_password: str) -> User:
    """Change a password after checking the current one; every sign-in and API token ends.

    The caller signs its own browser in again if it wants to stay signed in (the page does;
    the API does not, as its contract says).
    """
    user = db.session.get(User, user_id)
    if user is None or not verify_password(user.password_hash, current_password or ""):
        message = "The current password is not right."
        raise NotAllowed(message, code="wrong_password", fields={"current_password": message})
    if problem := password_problem(new_password or "", (user.email, user.display_name)):
        raise InvalidInput({"new_password": problem})
    _set_password(user, new_password)
    db.session.commit()
    return user


def _set_password(user: User, password: str) -> None:
    """A new password ends everything the old one opened: sign-ins, API tokens, reset links."""
    user.password_hash = hash_password(password)
    user.auth_version += 1
    sign_ins.revoke_everything(user.id)


def password_reset_token(user: User) -> str:
    """A signed reset token; it dies when the password changes (auth_version) or after an hour."""
    return signing.sign("password-reset", {"uid": user.id, "v": user.auth_version})


def user_for_reset_email(email: str) -> User | None:
    """The account a reset request is for; None keeps the answer the same for unknown emails."""
    try:
        email = normalise_email(email)
    except InvalidInput:
        return None
    return db.session.scalar(select(User).where(User.email == email, User.is_active_account.is_(True)))


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link works once."""
    data = signing.unsign("password-reset", token, current_app.config["PASSWORD_RESET_SECONDS"])
    user = db.session.get(User, data.get("uid"))
    if user is None or user.auth_version != data.get("v"):
        raise NotAllowed("This reset link has already been used.", code="link_used")
    if problem := password_problem(new_password or "", (user.email, user.display_name)):
        raise InvalidInput({"password": problem})
    _set_password(user, new_password)
    # The link reached the address, which is all that confirming it proves; a waiting account
    # is finished with the password its owner just chose.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    db.session.commit()
    return user


def update_preferences(
    user_id: int,
    *,
    timezone: str | None = None,
    display_name: str | None = None,
    email_reminders: bool | None = None,
    email_feedback_requests: bool | None = None,
) -> User:
    """Change a user's own settings (zone, name, which optional emails they get)."""
    user = db.session.get(User, user_id)
    errors = {}
    if timezone is not None and not is_valid_zone(timezone):
        errors["timezone"] = "Choose a time zone from the list."
    if display_name is not None and (problem := display_name_problem(display_name)):
        errors["display_name"] = problem
    if errors:
        raise InvalidInput(errors)
    if timezone is not None:
        user.timezone = timezone
    if display_name is not None:
        user.display_name = display_name.strip()
    if email_reminders is not None:
        user.email_reminders = email_reminders
    if email_feedback_requests is not None:
        user.email_feedback_requests = email_feedback_requests
    db.session.commit()
    return user


def regenerate_calendar_token(user_id: int) -> str:
    """A new secret for the user's calendar feed; the old feed URL stops working."""
    user = db.session.get(User, user_id)
    user.calendar_token = secrets.token_urlsafe(32)
    db.session.commit()
    return user.calendar_token
