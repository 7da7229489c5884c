"""The live-sessions switch for the rollout: off, beta (allowlisted people only) or everyone.

Admins flip it in the console. While it is "beta", a booking needs both the fan and the player
on the allowlist. Existing bookings are never touched by the switch.
"""

from __future__ import annotations

import enum

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import BetaAllowlistEntry, PlatformSetting, User
from .errors import InvalidInput, NotAllowed, NotFound

SETTING_KEY = "live_sessions"


class LiveSessions(enum.StrEnum):
    OFF = "off"
    BETA = "beta"
    EVERYONE = "everyone"


def state() -> LiveSessions:
    """The current switch position (the configured default until an admin sets it)."""
    setting = db.session.get(PlatformSetting, SETTING_KEY)
    value = setting.value if setting else current_app.config["LIVE_SESSIONS_DEFAULT"]
    return LiveSessions(value)


def set_state(admin: User, value: str) -> LiveSessions:
    """Move the switch (admins only)."""
    _require_admin(admin)
    try:
        new_state = LiveSessions(value)
    except ValueError as exc:
        raise InvalidInput({"state": "Choose off, beta or everyone."}) from exc
    setting = db.session.get(PlatformSetting, SETTING_KEY)
    if setting is None:
        db.session.add(PlatformSetting(key=SETTING_KEY, value=new_state.value))
    else:
        setting.value = new_state.value
    db.session.commit()
    return new_state


def is_allowlisted(user_id: int) -> bool:
    return db.session.get(BetaAllowlistEntry, user_id) is not None


def may_book(fan_id: int, player_id: int) -> bool:
    """Whether a fan may book this player right now."""
    current = state()
    if current is LiveSessions.EVERYONE:
        return True
    if current is LiveSessions.OFF:
        return False
    return is_allowlisted(fan_id) and is_allowlisted(player_id)


def check_may_book(fan_id: int, player_id: int) -> None:
    """Raise NotAllowed (403, code sessions_closed) when bookings are not open to this pair."""
    if not may_book(fan_id, player_id):
        message = (
            "Live sessions are in a closed beta for now."
            if state() is LiveSessions.BETA
            else "Live sessions are not open yet."
        )
        raise NotAllowed(message, code="sessions_closed")


def allowlist() -> list[User]:
    return list(db.session.scalars(select(User).join(BetaAllowlistEntry).order_by(User.email)))


def add_to_allowlist(admin: User, email: str) -> User:
    _require_admin(admin)
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        raise NotFound("No account has that email.", fields={"email": "No account has that email."})
    if not is_allowlisted(user.id):
        db.session.add(BetaAllowlistEntry(user_id=user.id))
        db.session.commit()
    return user


def remove_from_allowlist(admin: User, user_id: int) -> None:
    _require_admin(admin)
    db.session.execute(delete(BetaAllowlistEntry).where(BetaAllowlistEntry.user_id == user_id))
    db.session.commit()


def _require_admin(user: User) -> None:
    if not user.is_admin:
        raise NotAllowed("Administrators only.")
