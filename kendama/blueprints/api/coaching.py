"""The coaching API: the trick catalog, progress marks, and a fan's progress (../shared/API.md, Coaching)."""

from __future__ import annotations

from typing import Literal

from flask import jsonify
from pydantic import BaseModel, ConfigDict, Field

from ...models import Trick
from ...services.coaching import catalog, progress
from ...services.timezones import iso_utc
from . import bp
from .io import parse_body, parse_query, require_user
from .schemas import Strict
from .spec import operation

StateName = Literal["landed", "closer", "not_yet"]
FamilyName = Literal["cups", "spike", "airplane_lighthouse", "juggles", "balance"]


class TrickQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    q: str = Field(default="", max_length=80, description="any of a trick's names, or part of one")
    level: int | None = Field(default=None, ge=1, le=10)
    family: FamilyName | None = None


class TrickOut(BaseModel):
    id: int
    name: str
    aliases: list[str]
    level: int
    family: FamilyName


class TrickList(BaseModel):
    items: list[TrickOut]


class MarkItemIn(Strict):
    trick_id: int = Field(ge=1)
    state: StateName
    note: str | None = Field(default=None, max_length=1000, description="at most 280 characters")


class ProgressIn(Strict):
    items: list[MarkItemIn] = Field(max_length=20)


class MarkOut(BaseModel):
    trick: TrickOut
    state: StateName
    note: str


class SessionProgressOut(BaseModel):
    session_id: int
    items: list[MarkOut]


class HistoryOut(BaseModel):
    session_id: int
    state: StateName
    note: str
    player: str
    at: str


class TrickProgressOut(BaseModel):
    trick: TrickOut
    latest_state: StateName
    history: list[HistoryOut]


class ProgressList(BaseModel):
    items: list[TrickProgressOut]


def trick_out(trick: Trick) -> dict:
    return TrickOut(
        id=trick.id, name=trick.name, aliases=trick.aliases, level=trick.level, family=trick.family
    ).model_dump()


@bp.get("/tricks")
@operation(
    "Search the trick catalog by any name", tag="coaching", query=TrickQuery, responses={200: TrickList}, auth=False
)
def list_tricks():
    query = parse_query(TrickQuery)
    found = catalog.search(query.q, level=query.level, family=query.family)
    return jsonify({"items": [trick_out(trick) for trick in found]})


@bp.put("/sessions/<int:session_id>/progress")
@operation(
    "The session's player marks each trick: landed, closer or not yet",
    tag="coaching",
    body=ProgressIn,
    responses={200: SessionProgressOut},
    errors=(403, 404, 409),
)
def put_progress(session_id: int):
    user = require_user()
    data = parse_body(ProgressIn)
    items = [progress.MarkIn(item.trick_id, item.state, item.note or "") for item in data.items]
    marks = progress.mark_progress(user, session_id, items)
    body = [{"trick": trick_out(m.trick), "state": m.state, "note": m.note} for m in marks]
    return jsonify({"session_id": session_id, "items": body})


@bp.get("/users/me/progress")
@operation(
    "The signed-in fan's progress per trick, across sessions and players", tag="coaching", responses={200: ProgressList}
)
def my_progress():
    user = require_user()
    items = [
        {
            "trick": trick_out(entry.trick),
            "latest_state": entry.latest_state,
            "history": [
                {
                    "session_id": h.session_id,
                    "state": h.state,
                    "note": h.note,
                    "player": h.player_name,
                    "at": iso_utc(h.at),
                }
                for h in entry.history
            ],
        }
        for entry in progress.fan_progress(user)
    ]
    return jsonify({"items": items})
