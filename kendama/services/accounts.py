"""Accounts: registration, sign-in checks, password changes and resets."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Profile, Role, SessionAvailability, User
from . import signing
from .errors import Conflict, InvalidInput, NotAllowed
from .passwords import hash_password, needs_rehash, password_problem, verify_password
from .timezones import is_valid_zone

SELF_SERVICE_ROLES = (Role.FAN.value, Role.PLAYER.value)
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


def _check_new_account(email: str, password: str, display_name: str, role: str, timezone: str) -> dict:
    errors: dict[str, str] = {}
    try:
        email = normalise_email(email)
    except InvalidInput as exc:
        errors.update(exc.fields)
    if problem := password_problem(password or ""):
        errors["password"] = problem
    display_name = (display_name or "").strip()
    if not 1 <= len(display_name) <= 80:
        errors["display_name"] = "Enter a name of 1 to 80 characters."
    if role not in SELF_SERVICE_ROLES:
        errors["role"] = "Choose fan or player."
    if not is_valid_zone(timezone or ""):
        errors["timezone"] = "Choose a time zone from the list (an IANA name such as Europe/Prague)."
    if errors:
        raise InvalidInput(errors)
    return {"email": email, "display_name": display_name}


def register_user(email: str, password: str, display_name: str, role: str, timezone: str) -> User:
    """Create a fan or player account (admins come from the command line only)."""
    clean = _check_new_account(email, password, display_name, role, timezone)
    user = User(
        email=clean["email"],
        password_hash=hash_password(password),
        display_name=clean["display_name"],
        role=role,
        timezone=timezone,
        calendar_token=secrets.token_urlsafe(32),
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        message = "An account with this email already exists."
        raise Conflict(message, code="email_taken", fields={"email": message}) from exc
    if role == Role.PLAYER.value:
        db.session.add(Profile(user_id=user.id))
        db.session.add(SessionAvailability(player_id=user.id, timezone=timezone))
    db.session.commit()
    return user


def create_admin(email: str, password: str, display_name: str = "Administrator") -> User:
    """Create an administrator, or promote an existing account and reset its password."""
    email = normalise_email(email)
    if problem := password_problem(password):
        raise InvalidInput({"password": problem})
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, display_name=display_name, timezone="UTC", calendar_token=secrets.token_urlsafe(32))
        db.session.add(user)
    user.role = Role.ADMIN.value
    user.password_hash = hash_password(password)
    user.auth_version = (user.auth_version or 0) + 1
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same cost either way)."""
    global _DUMMY_HASH
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
        verify_password(_DUMMY_HASH, password or "")
        return None
    if not verify_password(user.password_hash, password or "") or not user.is_active_account:
        return None
    if needs_rehash(user.password_hash):
        # The only moment the plain password is at hand: bring the hash up to today's cost.
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def change_password(user_id: int, current_password: str, new_password: str) -> User:
    """Change a password after checking the current one; other sessions are signed out."""
    user = db.session.get(User, user_id)
    if user is None or not verify_password(user.password_hash, current_password or ""):
        raise InvalidInput({"current_password": "The current password is not right."})
    if problem := password_problem(new_password or ""):
        raise InvalidInput({"new_password": problem})
    _set_password(user, new_password)
    db.session.commit()
    return user


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.auth_version += 1


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
    if problem := password_problem(new_password or ""):
        raise InvalidInput({"password": problem})
    _set_password(user, new_password)
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
    if display_name is not None and not 1 <= len(display_name.strip()) <= 80:
        errors["display_name"] = "Enter a name of 1 to 80 characters."
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
