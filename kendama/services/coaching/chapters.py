"""Coach notes as a WebVTT chapters track for the recording's <track kind="chapters">.

WebVTT cue text may not hold "-->" nor a blank line (it ends the cue), and `&`, `<`, `>` are
markup; a chapter title is one line, so only a note's first line is used and it is escaped.
Chapters must not overlap: each runs from its note to the next one, the last to the end.
"""

from __future__ import annotations

from itertools import groupby

from ...models import CoachNote, User
from ..errors import NotFound
from ..video.recordings import READY, parts_of_sessions
from .notes import notes_for_viewer


def at_label(seconds: int) -> str:
    """A moment as mm:ss ("07:42"); minutes go past 59 rather than adding hours."""
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def chapters_vtt(notes: list[CoachNote], end_seconds: int) -> str:
    """One cue per moment of `notes` (notes of one recording); notes at the same second share a cue."""
    moments = [
        (at, " / ".join(_title(note) for note in group))
        for at, group in groupby(sorted(notes, key=lambda n: (n.at_seconds, n.id)), key=lambda n: n.at_seconds)
    ]
    lines = ["WEBVTT", ""]
    for index, (start, title) in enumerate(moments):
        end = moments[index + 1][0] if index + 1 < len(moments) else max(end_seconds, start + 1)
        lines += [f"{_timestamp(start)} --> {_timestamp(end)}", title, ""]
    return "\n".join(lines)


def chapters_for_viewer(viewer: User, session_id: int, recording_id: int | None = None) -> str:
    """The chapters track of one ready recording (the main one if none is named) that `viewer` may see."""
    notes = notes_for_viewer(viewer, session_id)  # checks who may look first
    parts = parts_of_sessions([session_id]).get(session_id, [])
    ready = [part.recording for part in parts if part.recording.status == READY]
    if recording_id is not None:
        ready = [recording for recording in ready if recording.id == recording_id]
    if not ready:
        raise NotFound("This session has no such recording.", code="no_recording")
    recording = ready[-1]
    first = parts[0].recording.id
    mine = [n for n in notes if n.recording_id == recording.id or (n.recording_id is None and recording.id == first)]
    end = recording.duration_seconds or max((n.at_seconds + 1 for n in mine), default=1)
    return chapters_vtt(mine, end)


def _title(note: CoachNote) -> str:
    first_line = (note.text.strip().splitlines() or [""])[0].strip()
    title = f"{note.trick.name}: {first_line}" if note.trick else first_line
    return title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _timestamp(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.000"
