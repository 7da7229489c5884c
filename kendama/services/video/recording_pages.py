"""A session's recording page: its parts (from recordings) and the viewer's permission to share
(from recording_consent), composed here so neither of those modules needs the other's page."""

from __future__ import annotations

from dataclasses import dataclass

from ...models import LiveSession, RecordingShareLink, User
from . import recording_consent, recordings


@dataclass(frozen=True)
class RecordingPage:
    session: LiveSession
    parts: list[recordings.ShownPart]  # every part, in order
    is_player: bool
    share_link: RecordingShareLink | None
    sharing_offer: str | None  # the viewer's own permission to share: "allow", "withdraw" or None

    @property
    def ready(self) -> bool:
        return any(shown.grant for shown in self.parts)


def for_viewer(viewer: User, session_id: int) -> RecordingPage:
    """The session's recording page for a participant or an admin: every part, with links signed for the viewer."""
    session, parts = recordings.parts_for_viewer(viewer, session_id)
    is_player = session.player_id == viewer.id
    ready = any(shown.grant for shown in parts)
    return RecordingPage(
        session=session,
        parts=parts,
        is_player=is_player,
        share_link=recordings.active_share_link(viewer, session_id) if ready and is_player else None,
        sharing_offer=recording_consent.sharing_offer(session, viewer.id) if parts else None,
    )
