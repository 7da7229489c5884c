"""Request and response shapes for joining, consent, recordings and share links (pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .schemas import Strict


class JoinOut(BaseModel):
    room_url: str = Field(description="The call's address; open it with the token (never put the token in a URL)")
    token: str = Field(description="Meeting token for this room, this user and this session's window")
    expires_at: str = Field(description="When the token (and the room) stop working: the session's end")
    recording: bool = Field(description="True when the call will be recorded (both participants consented)")


class ConsentIn(Strict):
    recording: bool = Field(description="Consent to the session being recorded")
    sharing: bool | None = Field(
        default=None,
        description="Permission to reuse or share the recording (needs recording); omitted keeps the current choice",
    )


class ConsentPair(BaseModel):
    fan: bool
    player: bool
    both: bool


class ConsentOut(BaseModel):
    recording: ConsentPair
    sharing: ConsentPair
    changeable_until: str
    changeable: bool


class RecordingFileOut(BaseModel):
    status: str = Field(description="ready, in_progress or failed")
    duration_seconds: int | None
    download_url: str | None = Field(description="Short-lived signed link; answers with a redirect to the file")
    captions_url: str | None = Field(description="Short-lived signed link to WebVTT captions")
    expires_at: str | None = Field(description="When the signed links stop working")


class RecordingPartOut(RecordingFileOut):
    part: int = Field(description="1, 2, …: each meeting in the session's room is one part")


class RecordingOut(RecordingFileOut):
    """The main part (the latest ready one) at the top level, and every part of the session in `parts`."""

    parts: list[RecordingPartOut]


class ShareOut(BaseModel):
    share_url: str
    expires_at: str


class RevokedOut(BaseModel):
    revoked: int


class NoShowIn(Strict):
    who: Literal["fan", "player"] | None = Field(
        default=None, description="who did not come; the other participant than the caller when left out"
    )
    statement: str = Field(default="", description="what happened, at most 1,000 characters")


class DisputeIn(Strict):
    statement: str = Field(description="what happened, 1 to 1,000 characters")


class NoShowDecisionIn(Strict):
    decision: Literal["refund", "reject"]
    note: str = Field(description="why, 1 to 1,000 characters; both participants see it")


class NoShowReportOut(BaseModel):
    id: int
    session_id: int
    absent: Literal["fan", "player"]
    outcome: Literal["fan_absent", "open", "disputed", "refunded", "rejected"]
    statement: str
    reported_at: str
    dispute_until: str | None
    dispute_statement: str | None
    resolution_note: str | None


class NoShowOut(BaseModel):
    id: int
    status: str
    report: NoShowReportOut | None


class LessonEndedOut(BaseModel):
    id: int
    status: str = Field(description="completed")
    completed_at: str = Field(description="When the player ended the lesson")
