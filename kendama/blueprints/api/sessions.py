"""Sessions: list, book, read, reschedule or cancel (GET/POST /api/sessions, GET/PUT /api/sessions/:id)."""

from __future__ import annotations

from flask import current_app, jsonify

from ...extensions import limiter
from ...services.booking import lifecycle, queries
from ...services.errors import InvalidInput
from ...services.timezones import parse_aware
from . import bp
from .io import page_body, pagination, parse_body, parse_query, require_user
from .session_schemas import SessionIn, SessionListQuery, SessionOut, SessionPageOut, SessionUpdateIn, SessionUpdateOut
from .session_serializers import session_out, session_update_out
from .spec import operation


@bp.get("/sessions")
@operation(
    "The caller's sessions (as fan or player; admins see all)",
    tag="sessions",
    query=SessionListQuery,
    responses={200: SessionPageOut},
    paginated=True,
)
def list_sessions():
    user = require_user()
    query = parse_query(SessionListQuery)
    page, per_page = pagination()
    upcoming = None if query.upcoming is None else query.upcoming == "true"
    result = queries.list_sessions(user, status=query.status, upcoming=upcoming, page=page, per_page=per_page)
    return jsonify(page_body([session_out(s, user) for s in result.items], page, per_page, result.total))


@bp.post("/sessions")
@limiter.limit(lambda: current_app.config["RATELIMIT_BOOKING"])
@operation(
    "Book a slot: free sessions are confirmed, paid ones held for payment",
    tag="sessions",
    body=SessionIn,
    responses={201: SessionOut},
    errors=(403, 404, 409, 429),
)
def create_session():
    user = require_user()
    data = parse_body(SessionIn)
    session = lifecycle.create_session(
        user,
        data.player_id,
        parse_aware(data.start, field="start"),
        data.duration_minutes,
        notes=data.notes or "",
        recording_consent=data.recording_consent,
        goals=data.goals,
        goal_note=data.goal_note or "",
        use_credit=data.use_credit,
    )
    return jsonify(session_out(session, user)), 201


@bp.get("/sessions/<int:session_id>")
@operation("One session; its participants and admins only", tag="sessions", responses={200: SessionOut}, errors=(404,))
def get_session(session_id: int):
    user = require_user()
    return jsonify(session_out(queries.get_session(user, session_id), user))


@bp.put("/sessions/<int:session_id>")
@operation(
    "Reschedule or cancel a session, under the cancellation policy",
    tag="sessions",
    body=SessionUpdateIn,
    responses={200: SessionUpdateOut},
    errors=(403, 404, 409),
)
def update_session(session_id: int):
    user = require_user()
    data = parse_body(SessionUpdateIn)
    if data.action == "cancel":
        result = lifecycle.cancel(user, session_id, data.reason or "")
        return jsonify(session_update_out(result.session, user, result.refund))
    if not data.start:
        raise InvalidInput({"start": "Give the new start time, with an offset."})
    session = lifecycle.reschedule(user, session_id, parse_aware(data.start, field="start"))
    return jsonify(session_update_out(session, user))
