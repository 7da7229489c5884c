"""The live-sessions switch for the rollout: off, beta (allowlisted people only) or everyone.

Admins flip it in the console. While it is "beta", a booking needs both the fan and the player
on the allowlist. Existing bookings are never touched by the switch.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from flask import current_app
from sqlalchemy import ColumnElement, delete, exists, select

from ... import start_checks
from ...extensions import db
from ...models import BetaAllowlistEntry, PlatformSetting, User
from ..access import require_admin
from ..errors import InvalidInput, NotAllowed, NotFound, Refusal, WrongState

SETTING_KEY = "live_sessions"
# The codes of the switch's refusals (POST /api/sessions answers them with 403).
SESSIONS_CLOSED = "sessions_closed"
CLOSED_BETA = "closed_beta"


class LiveSessions(enum.StrEnum):
    OFF = "off"
    BETA = "beta"
    EVERYONE = "everyone"


def state() -> LiveSessions:
    """The current switch position (the configured default until an admin sets it)."""
    setting = db.session.get(PlatformSetting, SETTING_KEY)
    return _position(setting.value if setting else None)


def _position(stored: str | None) -> LiveSessions:
    return LiveSessions(stored if stored is not None else current_app.config["LIVE_SESSIONS_DEFAULT"])


def set_state(admin: User, value: str) -> LiveSessions:
    """Move the switch (admins only)."""
    require_admin(admin)
    try:
        new_state = LiveSessions(value)
    except ValueError as exc:
        raise InvalidInput({"state": "Choose off, beta or everyone."}) from exc
    _check_providers_configured(new_state)
    setting = db.session.get(PlatformSetting, SETTING_KEY)
    if setting is None:
        db.session.add(PlatformSetting(key=SETTING_KEY, value=new_state.value))
    else:
        setting.value = new_state.value
    db.session.commit()
    return new_state


def _check_providers_configured(new_state: LiveSessions) -> None:
    """Production and staging open live sessions only with payments and video configured.

    The same rule as at start (kendama/start_checks.py) for a switch moved later: where no sandbox
    may stand in, a booking would be taken that nobody could pay for or join.
    """
    if new_state is LiveSessions.OFF or not current_app.config["PRODUCTION"]:
        return
    missing = start_checks.missing_live_session_keys(current_app.config)
    if missing:
        raise WrongState(
            f"Live sessions cannot open before payments and video calls are configured: {', '.join(missing)} not set.",
            code="providers_not_configured",
        )


def is_allowlisted(user_id: int) -> bool:
    return db.session.get(BetaAllowlistEntry, user_id) is not None


class Gate(NamedTuple):
    """What decides whether a fan may book a player: the stored switch and both allowlist entries."""

    stored_state: str | None  # None until an admin sets the switch
    fan_allowlisted: bool | None  # None for a visitor who has not signed in (not known yet)
    player_allowlisted: bool


def gate_columns(
    fan_id: int | ColumnElement[int] | None, player_id: int | ColumnElement[int]
) -> tuple[ColumnElement, ColumnElement, ColumnElement]:
    """The Gate's fields as columns, in its order, so a caller can read them with its own query.

    Booking reads them in the same statement as the offering and the slot (one round trip).
    """
    stored = select(PlatformSetting.value).where(PlatformSetting.key == SETTING_KEY).scalar_subquery()
    return (
        stored.label("stored_state"),
        exists().where(BetaAllowlistEntry.user_id == fan_id).label("fan_allowlisted"),
        exists().where(BetaAllowlistEntry.user_id == player_id).label("player_allowlisted"),
    )


def gate(fan_id: int | None, player_id: int) -> Gate:
    """The gate between a fan (None: a visitor who has not signed in) and a player, as it stands now."""
    read = Gate(*db.session.execute(select(*gate_columns(fan_id, player_id))).one())
    return read if fan_id is not None else read._replace(fan_allowlisted=None)


def may_book(fan_id: int, player_id: int) -> bool:
    """Whether a fan may book this player right now."""
    return refusal(gate(fan_id, player_id)) is None


def check_gate(gate: Gate) -> None:
    """Raise NotAllowed (403, code sessions_closed or closed_beta) when bookings are not open to this pair."""
    refused = refusal(gate)
    if refused is not None:
        raise NotAllowed(refused.message, code=refused.code)


def refusal(gate: Gate) -> Refusal | None:
    """Why bookings are closed to the pair, or None when they may book."""
    current = _position(gate.stored_state)
    if current is LiveSessions.EVERYONE:
        return None
    if current is LiveSessions.OFF:
        return Refusal(SESSIONS_CLOSED, "Live sessions are not open yet.")
    if gate.fan_allowlisted is False:
        return Refusal(CLOSED_BETA, "Live sessions are in a closed beta for now, and you are not on the beta list yet.")
    if not gate.player_allowlisted:
        return Refusal(CLOSED_BETA, "Live sessions are in a closed beta for now, and this player is not in it yet.")
    if gate.fan_allowlisted is None:
        message = "Live sessions are in a closed beta for now: only people on the beta list can book."
        return Refusal(CLOSED_BETA, message, final=False)
    return None


def allowlist() -> list[User]:
    return list(db.session.scalars(select(User).join(BetaAllowlistEntry).order_by(User.email)))


def add_to_allowlist(admin: User, email: str) -> User:
    require_admin(admin)
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        raise NotFound("No account has that email.", fields={"email": "No account has that email."})
    if not is_allowlisted(user.id):
        db.session.add(BetaAllowlistEntry(user_id=user.id))
        db.session.commit()
    return user


def remove_from_allowlist(admin: User, user_id: int) -> None:
    require_admin(admin)
    db.session.execute(delete(BetaAllowlistEntry).where(BetaAllowlistEntry.user_id == user_id))
    db.session.commit()
