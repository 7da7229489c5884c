"""What the session page shows of the coaching layer: the goals, what the fan worked on before
(for the player), this lesson's progress marks, and whether the viewer may mark them now."""

from __future__ import annotations

from dataclasses import dataclass

from ...models import LiveSession, ProgressMark, Trick, User, utcnow
from . import clips, progress


@dataclass(frozen=True)
class LessonCoaching:
    goals: list[Trick]
    goal_note: str
    before: list[progress.TrickProgress]  # the player's view of earlier lessons (empty for others)
    marks: dict[int, ProgressMark]  # by trick id
    can_mark: bool
    clips: list[clips.ShownClip]
    can_upload: bool  # the fan, before the start, with room for another clip

    @property
    def tricks_to_mark(self) -> list[Trick]:
        """The goals, then any trick marked that was not a goal."""
        goal_ids = {trick.id for trick in self.goals}
        return [*self.goals, *(mark.trick for mark in self.marks.values() if mark.trick_id not in goal_ids)]


def for_viewer(viewer: User, session: LiveSession) -> LessonCoaching:
    is_player = viewer.id == session.player_id
    earlier = [
        entry
        for entry in (progress.before_lesson(viewer, session) if is_player else [])
        if any(h.session_id != session.id for h in entry.history)
    ]
    marks = {mark.trick_id: mark for mark in progress.marks_of_session(viewer, session.id)}
    now = utcnow()
    can_mark = is_player and session.status in progress.MARKABLE and session.starts_at <= now
    shown_clips = clips.clips_of(viewer, session.id, now=now)
    can_upload = (
        viewer.id == session.fan_id
        and session.status in clips.UPLOADABLE
        and session.starts_at > now
        and len(shown_clips) < clips.MAX_CLIPS
    )
    return LessonCoaching(
        goals=[goal.trick for goal in session.goals],
        goal_note=session.goal_note,
        before=earlier,
        marks=marks,
        can_mark=can_mark,
        clips=shown_clips,
        can_upload=can_upload,
    )
