"""Waitlists: a fan joins or leaves a player's line for a day with no open time (../shared/API.md)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from flask import jsonify
from pydantic import BaseModel, Field

from ...models import WaitlistEntry
from ...services.booking import waitlist
from ...services.errors import InvalidInput
from ...services.timezones import iso_utc, parse_day
from . import bp
from .io import parse_body, require_user
from .schemas import Strict
from .spec import operation


class WaitlistIn(Strict):
    date: str = Field(
        max_length=10, description="YYYY-MM-DD: the day wanted, on the fan's calendar (their account's zone)"
    )
    duration_minutes: int


class WaitlistOut(BaseModel):
    id: int
    player_id: int
    date: str
    time_zone: str
    duration_minutes: int
    state: Literal["waiting", "offered", "booked", "left", "lapsed"]
    position: int = Field(description="1 for the first fan in line")
    offer_start: str | None = Field(description="the held slot's start, while state is offered")
    offer_until: str | None = Field(description="until when the slot is held for this fan")


class WaitlistList(BaseModel):
    items: list[WaitlistOut]


def _day(data: WaitlistIn) -> date:
    day = parse_day(data.date)
    if day is None:
        raise InvalidInput({"date": "Give the day as YYYY-MM-DD."})
    return day


def _entry_out(entry: WaitlistEntry) -> dict:
    offered = entry.state == "offered"
    return WaitlistOut(
        id=entry.id,
        player_id=entry.player_id,
        date=entry.day.isoformat(),
        time_zone=entry.zone,
        duration_minutes=entry.duration_minutes,
        state=entry.state,
        position=waitlist.position(entry),
        offer_start=iso_utc(entry.offer_start) if offered else None,
        offer_until=iso_utc(entry.offer_until) if offered else None,
    ).model_dump()


@bp.post("/players/<int:player_id>/waitlist")
@operation(
    "Join a player's waitlist for a day with no open time of that length (the fan)",
    tag="booking",
    body=WaitlistIn,
    responses={201: WaitlistOut},
    errors=(401, 403, 404, 409, 422),
)
def join_waitlist(player_id: int):
    user = require_user()
    data = parse_body(WaitlistIn)
    entry = waitlist.join(user, player_id, _day(data), data.duration_minutes, user.timezone)
    return jsonify(_entry_out(entry)), 201


@bp.delete("/players/<int:player_id>/waitlist")
@operation(
    "Leave a player's waitlist for a day (a slot held for you is released)",
    tag="booking",
    body=WaitlistIn,
    responses={204: None},
    errors=(401, 404, 422),
)
def leave_waitlist(player_id: int):
    user = require_user()
    data = parse_body(WaitlistIn)
    waitlist.leave(user, waitlist.place_of(user, player_id, _day(data), data.duration_minutes).id)
    return "", 204


@bp.get("/users/me/waitlist")
@operation("The caller's places on waitlists, soonest day first", tag="booking", responses={200: WaitlistList})
def my_waitlist():
    user = require_user()
    return jsonify({"items": [_entry_out(entry) for entry in waitlist.entries_of(user)]})
