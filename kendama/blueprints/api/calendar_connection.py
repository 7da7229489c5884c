"""GET/PUT/DELETE /api/users/me/calendar-connection: a player's CalDAV account."""

from __future__ import annotations

from flask import jsonify

from ...services.calendars import caldav_accounts, connections
from ...services.errors import InvalidInput, NotFound
from ...services.timezones import iso_utc
from . import bp
from .io import parse_body, require_user
from .schemas import CalendarConnectionIn, CalendarConnectionOut
from .spec import operation


def _out(connection) -> dict:
    waiting, stopped = connections.writes_waiting(connection.player_id)
    return CalendarConnectionOut(
        server_url=connection.server_url,
        username=connection.username,
        status=connection.status,
        problem=caldav_accounts.problem_message(connection),
        stopped=connection.stopped_at is not None,
        calendars=connection.calendars,
        busy_calendar_urls=connection.busy_calendar_urls,
        write_calendar_url=connection.write_calendar_url,
        busy_synced_at=iso_utc(connection.busy_synced_at),
        writes_waiting=waiting,
        writes_stopped=stopped,
    ).model_dump()


def _connection(user):
    connection = connections.for_player(user)
    if connection is None:
        raise NotFound("No calendar account is connected.")
    return connection


@bp.get("/users/me/calendar-connection")
@operation(
    "The signed-in player's CalDAV account (never its password)",
    tag="calendars",
    responses={200: CalendarConnectionOut},
    errors=(403, 404),
)
def get_calendar_connection():
    return jsonify(_out(_connection(require_user())))


@bp.put("/users/me/calendar-connection")
@operation(
    "Connect or reconnect a CalDAV account, and/or choose its busy and write calendars",
    tag="calendars",
    body=CalendarConnectionIn,
    responses={200: CalendarConnectionOut},
    errors=(403, 404, 422),
)
def put_calendar_connection():
    user = require_user()
    connections.for_player(user)  # players only, before the body is read
    data = parse_body(CalendarConnectionIn)
    sent = data.model_fields_set
    choices = {}
    if "busy_calendar_urls" in sent:
        choices["busy_urls"] = data.busy_calendar_urls or []
    if "write_calendar_url" in sent:
        choices["write_url"] = data.write_calendar_url
    if {"server_url", "username", "password"} & sent:
        connection = connections.connect(
            user, data.server_url or "", data.username or "", data.password or "", **choices
        )
    elif choices:
        current = _connection(user)
        connection = connections.choose(
            user,
            choices.get("busy_urls", current.busy_calendar_urls),
            choices.get("write_url", current.write_calendar_url),
        )
    else:
        raise InvalidInput({"server_url": "Send server_url, username and password, or the calendars to choose."})
    return jsonify(_out(connection))


@bp.delete("/users/me/calendar-connection")
@operation("Disconnect the CalDAV account", tag="calendars", responses={204: None}, errors=(403, 404))
def delete_calendar_connection():
    connections.disconnect(require_user())
    return "", 204
