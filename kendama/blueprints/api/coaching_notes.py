"""Coach notes on a session's recording: the player writes and publishes, the fan reads (../shared/API.md)."""

from __future__ import annotations

from typing import Literal

from flask import jsonify
from pydantic import BaseModel, Field

from ...models import CoachNote
from ...services.coaching import notes
from ...services.coaching.chapters import at_label
from . import bp
from .io import parse_body, require_user
from .schemas import Strict
from .spec import operation


class NoteIn(Strict):
    at_seconds: int = Field(ge=0, description="the moment of the recording, in seconds from its start")
    text: str = Field(description=f"1 to {notes.MAX_TEXT} characters")
    trick_id: int | None = None
    recording_id: int | None = Field(default=None, description="the recording part; the first ready one if null")


class MarkerIn(Strict):
    text: str = Field(default="", description=f'at most {notes.MAX_TEXT} characters; "Marker" when empty')


class NoteTrick(BaseModel):
    id: int
    name: str


class NoteOut(BaseModel):
    id: int
    session_id: int
    at_seconds: int
    at_label: str
    text: str
    trick: NoteTrick | None
    source: Literal["note", "marker"]
    published: bool
    recording_id: int | None


class NoteList(BaseModel):
    items: list[NoteOut]


class Published(BaseModel):
    published: int


def _note_out(note: CoachNote) -> dict:
    trick = NoteTrick(id=note.trick.id, name=note.trick.name) if note.trick else None
    return NoteOut(
        id=note.id,
        session_id=note.session_id,
        at_seconds=note.at_seconds,
        at_label=at_label(note.at_seconds),
        text=note.text,
        trick=trick,
        source=note.source,
        published=note.published_at is not None,
        recording_id=note.recording_id,
    ).model_dump()


@bp.post("/sessions/<int:session_id>/notes")
@operation(
    "Write a coach note at a moment of the session's recording (the player)",
    tag="coaching",
    body=NoteIn,
    responses={201: NoteOut},
    errors=(403, 404, 409, 422),
)
def add_coach_note(session_id: int):
    user = require_user()
    data = parse_body(NoteIn)
    note = notes.add_note(user, session_id, data.at_seconds, data.text, data.trick_id, recording_id=data.recording_id)
    return jsonify(_note_out(note)), 201


@bp.post("/sessions/<int:session_id>/markers")
@operation(
    "Drop a note marker at the call's current moment (the player, during the lesson)",
    tag="coaching",
    body=MarkerIn,
    responses={201: NoteOut},
    errors=(403, 404, 409, 422),
)
def add_coach_marker(session_id: int):
    user = require_user()
    data = parse_body(MarkerIn)
    note = notes.add_note(user, session_id, None, data.text, source=notes.MARKER)
    return jsonify(_note_out(note)), 201


@bp.get("/sessions/<int:session_id>/notes")
@operation(
    "The session's coach notes (the fan sees published ones)",
    tag="coaching",
    responses={200: NoteList},
    errors=(404,),
)
def list_coach_notes(session_id: int):
    user = require_user()
    return jsonify({"items": [_note_out(note) for note in notes.notes_for_viewer(user, session_id)]})


@bp.post("/sessions/<int:session_id>/notes/publish")
@operation(
    "Publish the session's unpublished coach notes to the fan, who is emailed once",
    tag="coaching",
    responses={200: Published},
    errors=(403, 404),
)
def publish_coach_notes(session_id: int):
    user = require_user()
    return jsonify(Published(published=notes.publish_notes(user, session_id)).model_dump())


@bp.delete("/sessions/<int:session_id>/notes/<int:note_id>")
@operation("Delete a coach note (the player)", tag="coaching", responses={204: None}, errors=(403, 404))
def delete_coach_note(session_id: int, note_id: int):
    user = require_user()
    notes.delete_note(user, session_id, note_id)
    return "", 204
