"""What a signed-in user's dashboard shows, decided here so the templates only display it.

The rules come from the services that own them (booking for cancel and reschedule, video for the
room window and no-shows, recordings for sharing, refunds for what was paid); this module only
gathers them. One call reads the sessions and then their payments, refunds, recordings and share
links in one query each, so the page costs the same few queries however many sessions it lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import (
    LiveSession,
    PackageCredit,
    Payment,
    PaymentStatus,
    Profile,
    RecordingShareLink,
    Refund,
    SessionAvailability,
    SessionRecording,
    SessionStatus,
    User,
    WaitlistEntry,
    utcnow,
)
from .access import session_for_viewer
from .booking import availability, lifecycle, no_shows, queries, waitlist
from .errors import NotFound
from .payments import earnings
from .payments.earnings import MonthLine
from .video import calls, demo_calls, recording_consent, recordings
from .video.recordings import RecordingPart


@dataclass(frozen=True)
class SessionCard:
    """One session as its fan or player sees it on the dashboard, with what they may do now."""

    session: LiveSession
    role: str  # "fan" or "player": how the viewer takes part
    other: User
    actions: lifecycle.Actions
    can_join: bool
    can_change_consent: bool
    can_mark_no_show: bool
    can_report_no_show: bool  # the fan's "the player did not come", on the session page
    recording: SessionRecording | None  # the main part (recordings.main_part), for the row's link
    recording_parts: list[RecordingPart]  # every part of the session's recording, in order
    can_share: bool
    share_link: RecordingShareLink | None
    payment: Payment | None  # the payment that paid for it
    refunds: list[Refund] = field(default_factory=list)
    can_pay: bool = False  # a held booking the fan can still pay for
    with_credit: bool = False  # booked with a lesson credit of a package

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds)


@dataclass(frozen=True)
class PlayerSummary:
    profile: Profile
    availability: SessionAvailability
    earnings: list[MonthLine]  # all time, one line per currency


@dataclass(frozen=True)
class Dashboard:
    upcoming: list[SessionCard]
    past: list[SessionCard]
    receipts: list[SessionCard]  # the fan's paid sessions, newest first
    recordings: list[SessionCard]  # sessions with a recording to watch (and, for players, share)
    player: PlayerSummary | None
    # Offered "Start a test call now" (development only, services/video/demo_calls.py): the demo fan's email.
    test_call_fan_email: str | None = None
    waitlist: list[WaitlistEntry] = field(default_factory=list)  # the fan's places in line


def overview(viewer: User, *, now: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows for this user."""
    now = now or utcnow()
    sessions = queries.sessions_overview(viewer, now=now)
    everything = sessions.upcoming + sessions.past
    cards = _cards(everything, viewer, now)
    upcoming = [cards[s.id] for s in sessions.upcoming]
    past = [cards[s.id] for s in sessions.past]
    receipts = sorted(
        (c for c in upcoming + past if c.role == "fan" and c.payment is not None),
        key=lambda c: c.payment.paid_at or c.payment.created_at,
        reverse=True,
    )
    recordings = [c for c in past + upcoming if c.recording is not None]
    player = _player_summary(viewer) if viewer.is_player else None
    test_call_fan = demo_calls.DEMO_FAN_EMAIL if demo_calls.offered(viewer) else None
    places = [] if viewer.is_player else waitlist.entries_of(viewer)
    return Dashboard(upcoming, past, receipts, recordings, player, test_call_fan_email=test_call_fan, waitlist=places)


def _cards(sessions: list[LiveSession], viewer: User, now: datetime) -> dict[int, SessionCard]:
    ids = [s.id for s in sessions]
    payments = _paid_payments(ids)
    open_checkouts = _open_checkouts(ids, now)
    refunds = _refunds(ids)
    with_credit = set(db.session.scalars(select(PackageCredit.session_id).where(PackageCredit.session_id.in_(ids))))
    parts = recordings.parts_of_sessions(ids)
    links = _share_links(ids, now)
    cards = {}
    for session in sessions:
        role = session.participant_role(viewer.id) or "fan"
        main = recordings.main_part(parts.get(session.id, []))
        recording = main.recording if main else None
        ready = recording is not None and recording.status == recordings.READY
        cards[session.id] = SessionCard(
            session=session,
            role=role,
            other=session.fan if role == "player" else session.player,
            actions=lifecycle.available_actions(session, viewer, now=now),
            can_join=calls.window_open(session, now),
            can_change_consent=recording_consent.consent_state(session, now=now).changeable,
            can_mark_no_show=calls.can_mark_no_show(session, viewer.id, now),
            can_report_no_show=no_shows.player_absence_refusal(session, viewer.id, now) is None,
            recording=recording,
            recording_parts=parts.get(session.id, []),
            can_share=role == "player" and ready and session.sharing_allowed,
            share_link=links.get(session.id) if ready and role == "player" else None,
            payment=payments.get(session.id),
            refunds=refunds.get(session.id, []),
            can_pay=role == "fan" and session.id in open_checkouts,
            with_credit=session.id in with_credit,
        )
    return cards


def _paid_payments(session_ids: list[int]) -> dict[int, Payment]:
    rows = db.session.scalars(
        select(Payment)
        .where(Payment.session_id.in_(session_ids), Payment.status == PaymentStatus.PAID)
        .order_by(Payment.id)
    )
    return {p.session_id: p for p in rows}  # the latest paid one wins, as refunds.paid_payment picks it


def _open_checkouts(session_ids: list[int], now: datetime) -> set[int]:
    return set(
        db.session.scalars(
            select(Payment.session_id)
            .join(LiveSession, LiveSession.id == Payment.session_id)
            .where(
                Payment.session_id.in_(session_ids),
                LiveSession.status == SessionStatus.PENDING_PAYMENT.value,
                Payment.status == PaymentStatus.OPEN,
                Payment.checkout_url.is_not(None),
                Payment.expires_at > now,
            )
        )
    )


def _refunds(session_ids: list[int]) -> dict[int, list[Refund]]:
    found: dict[int, list[Refund]] = {}
    for refund in db.session.scalars(select(Refund).where(Refund.session_id.in_(session_ids)).order_by(Refund.id)):
        found.setdefault(refund.session_id, []).append(refund)
    return found


def _share_links(session_ids: list[int], now: datetime) -> dict[int, RecordingShareLink]:
    """Each session's live share link (it opens every part of the session's recording)."""
    rows = db.session.execute(
        select(SessionRecording.session_id, RecordingShareLink)
        .join(SessionRecording, SessionRecording.id == RecordingShareLink.recording_id)
        .where(
            SessionRecording.session_id.in_(session_ids),
            RecordingShareLink.revoked_at.is_(None),
            RecordingShareLink.expires_at > now,
        )
        .order_by(RecordingShareLink.created_at)
    )
    return {session_id: link for session_id, link in rows}  # the newest wins


def _player_summary(player: User) -> PlayerSummary:
    return PlayerSummary(
        profile=db.session.get(Profile, player.id),
        availability=availability.get_availability(player.id),
        earnings=earnings.player_earnings(player).by_currency(),
    )


# --- A receipt ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What the fan paid for one session and what went back; the platform fee is not the fan's business."""

    session: LiveSession
    payment: Payment
    refunds: list[Refund]

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds)

    @property
    def kept(self) -> int:
        """What the fan has paid once every refund granted has gone through (a failed one is retried)."""
        return self.payment.amount - self.refunded


def receipt(viewer: User, session_id: int) -> Receipt:
    """The receipt of a paid session, for its fan or an admin (NotFound for anyone else, or if unpaid)."""
    session = session_for_viewer(viewer, session_id)
    if session.fan_id != viewer.id and not viewer.is_admin:
        raise NotFound("We could not find that receipt.")
    payment = _paid_payments([session.id]).get(session.id)
    if payment is None:
        raise NotFound("This session has no payment, so there is no receipt.", code="no_receipt")
    return Receipt(session, payment, _refunds([session.id]).get(session.id, []))
