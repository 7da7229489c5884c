"""Recordings of sessions, their share links, and the log of every access."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .sessions import LiveSession
from .types import UTCDateTime, utcnow


class SessionRecording(db.Model):
    __tablename__ = "session_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16), default="daily")
    provider_recording_id: Mapped[str] = mapped_column(String(128), unique=True)
    provider_transcript_id: Mapped[str | None] = mapped_column(String(128))
    # in_progress | ready | failed | deleted
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    storage_key: Mapped[str | None] = mapped_column(String(512))
    captions_vtt: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[LiveSession] = relationship()


class RecordingShareLink(db.Model):
    """A revocable, expiring link a player hands out; only the token's digest is stored."""

    __tablename__ = "recording_share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("session_recordings.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecordingAccess(db.Model):
    """Who looked at which recording, when, and how (view, download, share-link)."""

    __tablename__ = "recording_access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("session_recordings.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
