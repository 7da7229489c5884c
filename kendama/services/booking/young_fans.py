"""Sessions with a young fan: marked at booking, and their recordings never shared or reused.

A session remembers that its fan was under the guardian age when booked (`fan_is_minor`), so
the rule holds for its recording after the fan's birthday too, and players see "minor" without
anyone's age being shown. What the guardian allows is checked when booking
(eligibility.check_guardian_allows) and when consent changes (video/recording_consent.py).
"""

from __future__ import annotations

from ...models import LiveSession, User
from ..accounts import guardians
from ..errors import NotAllowed

NEVER_SHARED = "minor_recording_never_shared"


def guard_session(session: LiveSession, fan: User) -> None:
    """Mark a new booking of a young fan, with the player's permission to share its recording off."""
    session.fan_is_minor = guardians.needs_guardian(fan)
    if session.fan_is_minor:
        session.player_sharing_consent = False
        session.fan_sharing_consent = False


def check_consent(session: LiveSession, role: str, *, recording: bool, sharing: bool) -> None:
    """Refuse consent that a young fan's session may not have: sharing ever, recording without the guardian."""
    if not session.fan_is_minor:
        return
    if sharing:
        message = "Recordings of lessons with a minor are never shared or reused."
        raise NotAllowed(message, code=NEVER_SHARED, fields={"sharing": message})
    if role == "fan" and recording and not guardians.allowances_of(session.fan).recording:
        message = "Your guardian has not allowed recording your lessons."
        raise NotAllowed(message, code=guardians.FORBIDS_RECORDING, fields={"recording": message})
