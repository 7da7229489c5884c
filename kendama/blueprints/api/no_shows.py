"""No-shows: either side reports the other absent, the player disputes, an admin decides."""

from __future__ import annotations

from flask import jsonify, request

from ...models import LiveSession, NoShowReport
from ...services.access import session_for_participant
from ...services.booking import no_shows
from ...services.timezones import iso_utc
from ...services.video import calls
from . import bp
from .io import parse_body, require_admin, require_user
from .spec import operation
from .video_schemas import DisputeIn, NoShowDecisionIn, NoShowIn, NoShowOut, NoShowReportOut


def report_out(report: NoShowReport) -> dict:
    return NoShowReportOut(
        id=report.id,
        session_id=report.session_id,
        absent=report.absent,
        outcome=report.outcome,
        statement=report.statement,
        reported_at=iso_utc(report.reported_at),
        dispute_until=iso_utc(report.dispute_until) if report.dispute_until else None,
        dispute_statement=report.dispute_statement,
        resolution_note=report.resolution_note,
    ).model_dump()


def _session_out(session: LiveSession) -> dict:
    report = no_shows.report_of(session.id)
    return {"id": session.id, "status": session.status, "report": report_out(report) if report else None}


@bp.post("/sessions/<int:session_id>/no-show")
@operation(
    "Report that the other participant did not come: the player marks the fan (after the start, if the fan "
    "never joined; no refund), the fan reports the player (from 10 minutes after the start, if the player "
    "never joined; the player may dispute it, otherwise a full refund follows)",
    tag="video",
    body=NoShowIn,
    responses={200: NoShowOut},
    errors=(401, 403, 404, 409, 422),
)
def report_no_show(session_id: int):
    user = require_user()
    data = parse_body(NoShowIn) if request.content_length else NoShowIn()
    role = session_for_participant(user, session_id).participant_role(user.id)
    absent = data.who or ("fan" if role == "player" else "player")
    if absent == "fan":
        session = calls.mark_no_show(user, session_id, data.statement)
    else:
        session = no_shows.report_player_absent(user, session_id, data.statement).session
    return jsonify(_session_out(session))


@bp.post("/sessions/<int:session_id>/no-show/dispute")
@operation(
    "The player disputes the fan's report that they did not come (within the dispute time): an admin decides",
    tag="video",
    body=DisputeIn,
    responses={200: NoShowOut},
    errors=(401, 403, 404, 409, 422),
)
def dispute_no_show(session_id: int):
    user = require_user()
    data = parse_body(DisputeIn)
    report = no_shows.dispute(user, session_id, data.statement)
    return jsonify(_session_out(report.session))


@bp.post("/admin/no-shows/<int:report_id>/resolve")
@operation(
    "Decide a disputed no-show: refund the fan in full, or reject the report (the lesson counts as held)",
    tag="admin",
    body=NoShowDecisionIn,
    responses={200: NoShowReportOut},
    errors=(401, 403, 404, 409, 422),
)
def resolve_no_show(report_id: int):
    admin = require_admin()
    data = parse_body(NoShowDecisionIn)
    return jsonify(report_out(no_shows.resolve(admin, report_id, data.decision, data.note)))
