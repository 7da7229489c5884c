"""Consent to recording a session and to sharing its recording: who said what, when, and what follows.

Each participant's choice is kept on the session and, each time it changes, as a ConsentRecord
(who and when). Consent to recording may change until the start only; the permission to share
may be given or withdrawn at any time, and withdrawing it revokes the share links at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ...extensions import db
from ...integrations import video as video_provider
from ...models import ConsentRecord, LiveSession, SessionStatus, User, utcnow
from ..access import session_for_participant, session_for_viewer
from ..booking import young_fans
from ..errors import InvalidInput, ProviderUnavailable, WrongState
from . import recordings

log = logging.getLogger(__name__)

CONSENT_OPEN = (SessionStatus.PENDING_PAYMENT.value, SessionStatus.CONFIRMED.value, SessionStatus.IN_PROGRESS.value)


@dataclass(frozen=True)
class ConsentState:
    """Both participants' consent to recording and to reusing or sharing it, and until when consent to
    recording may change (`changeable`); the permission to share may change at any time."""

    fan_recording: bool
    player_recording: bool
    fan_sharing: bool
    player_sharing: bool
    changeable_until: datetime
    changeable: bool

    @property
    def recording(self) -> bool:
        return self.fan_recording and self.player_recording

    @property
    def sharing(self) -> bool:
        return self.recording and self.fan_sharing and self.player_sharing


def consent_state(session: LiveSession, *, now: datetime | None = None) -> ConsentState:
    now = now or utcnow()
    return ConsentState(
        fan_recording=session.fan_recording_consent,
        player_recording=session.player_recording_consent,
        fan_sharing=session.fan_sharing_consent,
        player_sharing=session.player_sharing_consent,
        changeable_until=session.starts_at,
        changeable=session.status in CONSENT_OPEN and now < session.starts_at,
    )


def consent_for_viewer(user: User, session_id: int) -> ConsentState:
    return consent_state(session_for_viewer(user, session_id))


SHARING_NEEDS_RECORDING = "Sharing a recording needs consent to record it."


def set_consent(
    user: User, session_id: int, *, recording: bool, sharing: bool | None = None, now: datetime | None = None
) -> ConsentState:
    """Record this participant's consent to recording and to reuse/sharing, each with who and when.

    Consent to recording may change until the start only. The permission to share may be given
    or withdrawn at any time, after the session too (withdrawing revokes share links at once).
    """
    now = now or utcnow()
    session = session_for_participant(user, session_id, for_update=True)
    role = session.participant_role(user.id)
    if sharing and not recording:
        raise InvalidInput({"sharing": SHARING_NEEDS_RECORDING})
    young_fans.check_consent(session, role, recording=recording, sharing=bool(sharing))
    current_recording = getattr(session, f"{role}_recording_consent")
    if sharing is None:
        sharing = getattr(session, f"{role}_sharing_consent") and recording
    if recording != current_recording and not consent_state(session, now=now).changeable:
        raise WrongState("Consent to recording can only change before the session starts.", code="consent_locked")

    was_recording = session.recording_allowed
    _record(session, user.id, role, "recording", recording, now)
    _record_sharing(session, user.id, role, sharing, now)
    db.session.commit()
    if session.recording_allowed != was_recording:
        _follow_live_call(session)
    return consent_state(session, now=now)


def set_sharing(user: User, session_id: int, *, allowed: bool, now: datetime | None = None) -> ConsentState:
    """Give or withdraw this participant's permission to share the recording, at any time.

    Their consent to recording stays as it is; sharing needs it.
    """
    now = now or utcnow()
    session = session_for_participant(user, session_id, for_update=True)
    role = session.participant_role(user.id)
    if allowed and not getattr(session, f"{role}_recording_consent"):
        raise InvalidInput({"sharing": SHARING_NEEDS_RECORDING})
    young_fans.check_consent(session, role, recording=False, sharing=allowed)
    _record_sharing(session, user.id, role, allowed, now)
    db.session.commit()
    return consent_state(session, now=now)


def sharing_offer(session: LiveSession, user_id: int, now: datetime | None = None) -> str | None:
    """What the participant may do with their permission to share once consent to recording is
    locked: "allow" (a recorded session they have not allowed it for), "withdraw", or None."""
    role = session.participant_role(user_id)
    if role is None or consent_state(session, now=now).changeable:
        return None  # not a participant, or the whole consent form is still open
    if getattr(session, f"{role}_sharing_consent"):
        return "withdraw"
    if session.recording_allowed and session.status != SessionStatus.CANCELLED.value:
        return "allow"
    return None


def _record_sharing(session: LiveSession, user_id: int, role: str, allowed: bool, now: datetime) -> None:
    _record(session, user_id, role, "sharing", allowed, now)
    if not session.sharing_allowed:
        recordings.revoke_share_links_of_session(session.id, now)


def _record(session: LiveSession, user_id: int, role: str, kind: str, granted: bool, now: datetime) -> None:
    attribute = f"{role}_{kind}_consent"
    said_before = db.session.scalar(
        select(ConsentRecord.id)
        .where(ConsentRecord.session_id == session.id, ConsentRecord.user_id == user_id, ConsentRecord.kind == kind)
        .limit(1)
    )
    if getattr(session, attribute) == granted and said_before is not None:
        return  # nothing new to record
    setattr(session, attribute, granted)
    db.session.add(ConsentRecord(session_id=session.id, user_id=user_id, kind=kind, granted=granted, created_at=now))


def _follow_live_call(session: LiveSession) -> None:
    """Consent changed while people may already be in the room (the last minutes before the start).

    Best effort: if the provider cannot be reached, a recording made without both consents is
    still discarded when it is synced (recording_sync.py), so nothing is kept against anyone's wish.
    """
    if not (session.room_url and (session.fan_joined_at or session.player_joined_at)):
        return
    try:
        if session.recording_allowed:
            recordings.configured_provider().start_recording(session.room_name)
        else:
            recordings.configured_provider().stop_recording(session.room_name)
    except (video_provider.VideoProviderError, ProviderUnavailable) as exc:
        log.warning("could not follow the consent change in room %s: %s", session.room_name, exc)
