"""Availability: a player sets theirs (PUT /api/users/me/availability); anyone reads free slots."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, jsonify

from ...models import utcnow
from ...services import access
from ...services.booking import availability
from ...services.timezones import parse_aware
from . import bp
from .io import parse_body, parse_query, require_user
from .session_schemas import AvailabilityIn, AvailabilityOut, SlotListOut, SlotQuery
from .session_serializers import availability_out
from .slot_answers import slot_answer
from .spec import operation

DEFAULT_RANGE = timedelta(days=14)


@bp.get("/users/me/availability")
@operation("The signed-in player's availability", tag="availability", responses={200: AvailabilityOut}, errors=(403,))
def get_own_availability():
    user = require_user()
    access.require_player(user)
    return jsonify(availability_out(availability.get_availability(user.id)))


@bp.put("/users/me/availability")
@operation(
    "Replace the signed-in player's availability",
    tag="availability",
    body=AvailabilityIn,
    responses={200: AvailabilityOut},
    errors=(403,),
)
def set_availability():
    user = require_user()
    data = parse_body(AvailabilityIn)
    result = availability.set_availability(
        user,
        availability.AvailabilityInput(
            timezone=data.timezone,
            weekly=[availability.WeeklyInput(w.weekday, w.start, w.end) for w in data.weekly],
            overrides=[availability.OverrideInput(o.date, o.start, o.end) for o in data.overrides],
            buffer_minutes=data.buffer_minutes,
            min_notice_minutes=data.min_notice_minutes,
            max_days_ahead=data.max_days_ahead,
        ),
    )
    return jsonify(availability_out(result))


@bp.get("/users/<int:player_id>/availability")
@operation(
    "A listed player's bookable start times (at most 62 days per request)",
    tag="availability",
    query=SlotQuery,
    responses={200: SlotListOut},
    errors=(404,),
    auth=False,
)
def player_slots(player_id: int):
    query = parse_query(SlotQuery)
    start = parse_aware(query.from_, field="from") if query.from_ else utcnow()
    end = parse_aware(query.to, field="to") if query.to else start + DEFAULT_RANGE
    return current_app.response_class(slot_answer(player_id, query.duration, start, end), mimetype="application/json")
