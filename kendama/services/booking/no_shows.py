"""No-shows: who did not come to a session, as the other side tells it, and what follows.

- The player marks the fan absent once the session has started, if the fan never joined
  (video/calls.mark_no_show, which records the report here): the policy gives nothing back.
- The fan reports the player absent from NO_SHOW_REPORT_AFTER_MINUTES after the start until
  NO_SHOW_DISPUTE_HOURS after the end, if the player never joined. The player may dispute it
  within NO_SHOW_DISPUTE_HOURS of the report. Undisputed, the fan gets a full refund when that
  time is up (settle, run by a periodic job); disputed, an administrator decides, with both
  statements and the call's join records before them.

The join records are the first time each side was let into the call (sessions.fan_joined_at,
player_joined_at): the same facts the refusals below rest on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import LiveSession, NoShowOutcome, NoShowReport, SessionStatus, User, utcnow
from ..access import require_admin, session_for_participant
from ..errors import InvalidInput, NotAllowed, NotFound, WrongState
from ..notifications import outbox
from ..payments import credits, refunds

MAX_STATEMENT = 1000
FAN, PLAYER = "fan", "player"
# A player's absence can be reported while the session is still on the books: before anyone
# joined (confirmed), while the fan waited in the call (in progress), or after its end (completed).
REPORTABLE = (SessionStatus.CONFIRMED.value, SessionStatus.IN_PROGRESS.value, SessionStatus.COMPLETED.value)
REFUND_REASON = "player_no_show"
REPORTED_KIND = "no_show_reported"
RESOLVED_KIND = "no_show_resolved"


def _report_after() -> timedelta:
    return timedelta(minutes=current_app.config["NO_SHOW_REPORT_AFTER_MINUTES"])


def _dispute_window() -> timedelta:
    return timedelta(hours=current_app.config["NO_SHOW_DISPUTE_HOURS"])


def _statement(text: str | None, field: str, *, required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput({field: "Say what happened, in a few words."})
    if len(text) > MAX_STATEMENT:
        raise InvalidInput({field: f"Keep it under {MAX_STATEMENT} characters."})
    return text


def report_of(session_id: int) -> NoShowReport | None:
    return db.session.scalar(select(NoShowReport).where(NoShowReport.session_id == session_id))


# --- The fan reports the player ---------------------------------------------------------------


def player_absence_refusal(session: LiveSession, user_id: int, now: datetime) -> str | None:
    """Why this user may not report the player absent now, or None when they may."""
    if session.participant_role(user_id) != FAN:
        return "Only the session's fan can report that the player did not come."
    if session.status not in REPORTABLE:
        return "This session cannot be reported as a no-show."
    if session.player_joined_at is not None:
        return "The player joined the call for this session."
    if now < session.starts_at + _report_after():
        minutes = current_app.config["NO_SHOW_REPORT_AFTER_MINUTES"]
        return f"You can report that the player did not come from {minutes} minutes after the start."
    if now > session.ends_at + _dispute_window():
        return "It is too late to report this session as a no-show."
    if report_of(session.id) is not None:  # last: the dashboard asks this of every row
        return "This session has been reported already."
    return None


@dataclass(frozen=True)
class NoShowState:
    """What the session page shows and offers about a no-show, for one viewer."""

    report: NoShowReport | None
    can_report_player: bool
    can_dispute: bool


def state_for(session: LiveSession, user_id: int, now: datetime) -> NoShowState:
    report = report_of(session.id)
    can_report = report is None and player_absence_refusal(session, user_id, now) is None
    return NoShowState(report, can_report, can_dispute(report, user_id, now))


def report_player_absent(
    fan: User, session_id: int, statement: str = "", *, now: datetime | None = None
) -> NoShowReport:
    """The fan says the player did not come: the session is a no-show, open to the player's dispute."""
    now = now or utcnow()
    session = session_for_participant(fan, session_id, for_update=True)  # strangers learn nothing first
    statement = _statement(statement, "statement")
    if session.participant_role(fan.id) != FAN:
        raise NotAllowed("Only the session's fan can report that the player did not come.", code="fan_only")
    if refusal := player_absence_refusal(session, fan.id, now):
        raise WrongState(refusal, code="not_reportable")
    report = NoShowReport(
        session_id=session.id,
        absent=PLAYER,
        reported_by_id=fan.id,
        statement=statement,
        reported_at=now,
        dispute_until=now + _dispute_window(),
        outcome=NoShowOutcome.OPEN.value,
    )
    db.session.add(report)
    session.status = SessionStatus.NO_SHOW.value
    session.no_show_marked_at = now
    outbox.queue(session.player_id, REPORTED_KIND, session_id=session.id)
    db.session.commit()
    return report


def record_fan_absent(session: LiveSession, player: User, statement: str, now: datetime) -> NoShowReport:
    """The report behind the player's "the fan did not come" (committed by the caller)."""
    report = NoShowReport(
        session_id=session.id,
        absent=FAN,
        reported_by_id=player.id,
        statement=_statement(statement, "statement"),
        reported_at=now,
        outcome=NoShowOutcome.FAN_ABSENT.value,
        resolved_at=now,
    )
    db.session.add(report)
    return report


# --- The player disputes ----------------------------------------------------------------------


def can_dispute(report: NoShowReport | None, user_id: int, now: datetime) -> bool:
    return (
        report is not None
        and report.outcome == NoShowOutcome.OPEN.value
        and report.session.player_id == user_id
        and now < report.dispute_until
    )


def dispute(player: User, session_id: int, statement: str, *, now: datetime | None = None) -> NoShowReport:
    """The player says they did come (or why they could not): an administrator decides."""
    now = now or utcnow()
    session = session_for_participant(player, session_id, for_update=True)
    if session.participant_role(player.id) != PLAYER:
        raise NotAllowed("Only the session's player can dispute a no-show report.", code="player_only")
    statement = _statement(statement, "statement", required=True)
    report = report_of(session.id)
    if report is None or report.absent != PLAYER:
        raise WrongState("Nobody reported that you did not come to this session.", code="no_report")
    if report.outcome != NoShowOutcome.OPEN.value:
        raise WrongState("This report has already been settled or disputed.", code="not_open")
    if now >= report.dispute_until:
        raise WrongState("The time to dispute this report has passed.", code="too_late")
    report.dispute_statement, report.disputed_at = statement, now
    report.outcome = NoShowOutcome.DISPUTED.value
    db.session.commit()
    return report


# --- Settling -----------------------------------------------------------------------------------


def due_report_ids(*, now: datetime | None = None) -> list[int]:
    """Open reports whose time to dispute is over (settle each)."""
    now = now or utcnow()
    query = select(NoShowReport.id).where(
        NoShowReport.outcome == NoShowOutcome.OPEN.value, NoShowReport.dispute_until <= now
    )
    return list(db.session.scalars(query))


def settle(report_id: int, *, now: datetime | None = None) -> bool:
    """Refund an undisputed report in full; False when it is not due (already settled, disputed,
    or still open to dispute), so a repeated job changes nothing."""
    now = now or utcnow()
    report = db.session.scalar(select(NoShowReport).where(NoShowReport.id == report_id).with_for_update())
    if report is None or report.outcome != NoShowOutcome.OPEN.value or now < report.dispute_until:
        db.session.rollback()
        return False
    _refund_fan(report, now, by=None, note="Not disputed in time.")
    db.session.commit()
    return True


def _refund_fan(report: NoShowReport, now: datetime, *, by: User | None, note: str) -> None:
    session = report.session
    payment = refunds.paid_payment(session)
    refund = refunds.request_refund(session, payment.amount, REFUND_REASON) if payment is not None else None
    credits.give_back(session, now)  # a lesson booked with a package credit gets the credit back
    _close(report, NoShowOutcome.REFUNDED, now, by, note, refunded=refund.amount if refund else 0)


def _close(
    report: NoShowReport, outcome: NoShowOutcome, now: datetime, by: User | None, note: str, *, refunded: int = 0
) -> None:
    report.outcome, report.resolved_at = outcome.value, now
    report.resolved_by_id, report.resolution_note = (by.id if by else None), note
    session = report.session
    outbox.queue_all(
        outbox.Message(
            user_id,
            RESOLVED_KIND,
            session_id=session.id,
            payload={"outcome": outcome.value, "refunded": refunded, "currency": session.currency},
        )
        for user_id in (session.fan_id, session.player_id)
    )


# --- Administrators ------------------------------------------------------------------------------

REFUND, REJECT = "refund", "reject"


@dataclass(frozen=True)
class Dispute:
    """What an administrator weighs: both statements and who was let into the call, and when."""

    report: NoShowReport
    session: LiveSession
    fan: User
    player: User


def disputes(admin: User, *, outcome: str = NoShowOutcome.DISPUTED.value) -> list[Dispute]:
    require_admin(admin)
    query = (
        select(NoShowReport)
        .where(NoShowReport.outcome == outcome)
        .order_by(NoShowReport.disputed_at, NoShowReport.reported_at)
    )
    return [Dispute(r, r.session, r.session.fan, r.session.player) for r in db.session.scalars(query)]


def resolve(admin: User, report_id: int, decision: str, note: str, *, now: datetime | None = None) -> NoShowReport:
    """Decide a disputed report: refund the fan (the player was absent), or reject it (the lesson
    counts as held, and nothing is refunded)."""
    require_admin(admin)
    now = now or utcnow()
    report = db.session.scalar(select(NoShowReport).where(NoShowReport.id == report_id).with_for_update())
    if report is None or report.absent != PLAYER:
        raise NotFound("No such no-show report.")
    note = _statement(note, "note", required=True)
    if decision not in (REFUND, REJECT):
        raise InvalidInput({"decision": "Choose to refund the fan or to reject the report."})
    if report.outcome != NoShowOutcome.DISPUTED.value:
        raise WrongState("Only a disputed report waits for a decision.", code="not_disputed")
    if decision == REFUND:
        _refund_fan(report, now, by=admin, note=note)
    else:
        _close(report, NoShowOutcome.REJECTED, now, admin, note)
        report.session.status = SessionStatus.COMPLETED.value
        report.session.completed_at = report.session.completed_at or report.session.ends_at
    db.session.commit()
    return report
