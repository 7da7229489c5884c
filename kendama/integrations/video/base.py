"""The video provider interface: what the services need from any video platform.

Daily implements it (daily.py), and the offline sandbox answers Daily's API (sandbox/provider.py);
registry.py picks one by VIDEO_PROVIDER. The shape also fits LiveKit and Twilio Video: rooms with
a time window, per-user join tokens, recordings with short-lived access links, and signed
webhooks. Values are plain dataclasses, so no provider type leaks into the services.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from flask import Flask


class VideoProviderError(Exception):
    """A call to the video provider failed."""


class ProviderUnreachable(VideoProviderError):
    """Network failure, timeout, 5xx or rate limiting that outlasted the retries: try again later."""


class ProviderRejected(VideoProviderError):
    """The provider refused the request (4xx): retrying the same call will not help."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class ProviderNotFound(ProviderRejected):
    """The room, recording or transcript does not exist (any more)."""


class VideoNotConfigured(VideoProviderError):
    """The chosen provider cannot run here: its key is not set, or it is a sandbox where none may run."""


class InvalidWebhook(Exception):
    """A webhook that is unsigned, badly signed, too old, or not an event."""


@dataclass(frozen=True)
class RoomSpec:
    """A private room that opens at `not_before` and closes (ejecting everyone) at `expires`."""

    name: str
    not_before: datetime
    expires: datetime
    max_participants: int = 2


@dataclass(frozen=True)
class Room:
    name: str
    url: str


@dataclass(frozen=True)
class AccessLink:
    """A short-lived signed address for a file in the provider's storage: fetch anew, never store."""

    url: str
    expires_at: datetime | None


@dataclass(frozen=True)
class ProviderRecording:
    id: str
    room_name: str
    status: str  # ready | in_progress | failed
    duration_seconds: int | None
    storage_key: str | None
    meeting_id: str | None


@dataclass(frozen=True)
class ProviderTranscript:
    id: str
    status: str  # ready | in_progress | failed
    meeting_id: str | None


@dataclass(frozen=True)
class VideoEvent:
    """A verified webhook event, normalised. `kind` is one of the KINDS below or "other".

    Signed is not true: an event only says what to look at (a room, a recording), and the
    services read the facts (status, duration, storage key) from the provider.
    """

    id: str
    kind: str
    type: str  # the provider's own event name, kept for the record
    room_name: str | None = None
    recording_id: str | None = None
    transcript_id: str | None = None
    ended_at: datetime | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallFrame:
    """How the join page embeds a provider's call.

    `kind` names one of the embeddings static/js/video-call.js knows: "daily" (daily-js's call
    frame) or "sandbox" (a page of the provider's own, driven by postMessage). `script` is a file
    under /static that the page loads for it, if the embedding needs one.
    """

    kind: str
    script: str | None = None


KINDS = (
    "meeting_started",
    "meeting_ended",
    "recording_started",
    "recording_ready",
    "recording_error",
    "transcript_ready",
    "transcript_error",
)


class VideoProvider(ABC):
    """Rooms, join tokens, recordings, transcripts and webhooks of one video platform."""

    name: str  # the API it speaks, kept on recordings and webhook records
    # What the join page and the Content-Security-Policy ask of the provider (web/security.py).
    call_frame: ClassVar[CallFrame]
    embed_origin: ClassVar[str | None] = None  # the call frame's origin, when it is not this site
    media_origin: ClassVar[str | None] = None  # where recordings play from, when it is not this site
    # The settings it is built from: while they are unchanged, the app keeps one instance (and its
    # HTTP connections).
    settings: ClassVar[tuple[str, ...]]

    @classmethod
    @abstractmethod
    def from_config(cls, app: Flask) -> VideoProvider:
        """The provider as `app` configures it; VideoNotConfigured when it cannot run there."""

    @abstractmethod
    def create_room(self, spec: RoomSpec) -> Room:
        """Create the room (or return it when it already exists: retries are safe)."""

    @abstractmethod
    def delete_room(self, room_name: str) -> None:
        """Delete the room; a room that is already gone is not an error."""

    @abstractmethod
    def close_room(self, room_name: str, *, user_ids: Sequence[str]) -> None:
        """End the room's meeting now: nobody may join any more, and these users are ejected.

        The room itself stays, so its recordings and transcripts are still found by its name;
        a room that is already gone is not an error.
        """

    @abstractmethod
    def join_token(
        self,
        room_name: str,
        *,
        user_id: str,
        user_name: str,
        is_owner: bool,
        not_before: datetime,
        expires: datetime,
        record: bool,
    ) -> str:
        """A token that admits this user to this room only, only inside [not_before, expires)."""

    @abstractmethod
    def start_recording(self, room_name: str) -> None:
        """Start cloud recording in a live meeting (when consent arrives during the call)."""

    @abstractmethod
    def stop_recording(self, room_name: str) -> None:
        """Stop cloud recording (when consent is withdrawn); nothing running is not an error."""

    @abstractmethod
    def list_recordings(self, room_name: str) -> list[ProviderRecording]:
        """The room's recordings."""

    @abstractmethod
    def get_recording(self, recording_id: str) -> ProviderRecording:
        """The recording as the provider has it now; ProviderNotFound when it knows no such recording."""

    @abstractmethod
    def recording_link(self, recording_id: str) -> AccessLink:
        """A fresh short-lived link to the recording's file."""

    @abstractmethod
    def delete_recording(self, recording_id: str) -> None:
        """Delete a recording from the provider's storage; one already gone is not an error."""

    @abstractmethod
    def list_transcripts(self, room_name: str) -> list[ProviderTranscript]:
        """The room's transcripts (WebVTT)."""

    @abstractmethod
    def transcript_link(self, transcript_id: str) -> AccessLink:
        """A fresh short-lived link to the transcript's WebVTT file."""

    @abstractmethod
    def transcript_text(self, transcript_id: str) -> str:
        """The transcript's WebVTT text, fetched through a fresh link."""

    @abstractmethod
    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> VideoEvent | None:
        """The verified event, None for the provider's endpoint check; InvalidWebhook otherwise."""
