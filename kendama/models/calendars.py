"""A player's CalDAV account, and the sessions waiting to be written into its calendar."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class CalendarConnection(db.Model):
    """One CalDAV account per player: where it is, which calendars count, and how syncing goes.

    `password_secret` is the app password encrypted with CALENDAR_SECRETS_KEY (Fernet); nothing
    else in the app ever holds it in the clear, apart from the adapter while it talks to the server.
    """

    __tablename__ = "calendar_connections"

    player_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    server_url: Mapped[str] = mapped_column(String(2048))
    username: Mapped[str] = mapped_column(String(255))
    password_secret: Mapped[str] = mapped_column(Text)
    # [{"url": ..., "name": ...}] as the server listed them when the player last connected
    calendars: Mapped[list] = mapped_column(JSON, default=list)
    busy_calendar_urls: Mapped[list] = mapped_column(JSON, default=list)
    write_calendar_url: Mapped[str | None] = mapped_column(String(2048))
    # ok, wrong_password, calendar_missing, unreachable (what the dashboard explains)
    status: Mapped[str] = mapped_column(String(32), default="ok")
    last_error: Mapped[str | None] = mapped_column(String(255))
    busy_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Set when syncing failed too often in a row: nothing more is tried until the player reconnects.
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarEventWrite(db.Model):
    """A session whose copy in the player's calendar must be brought up to date (the outbox row).

    Written in the transaction that confirms, moves or cancels the session; the job reads the
    session as it is then and puts or deletes the event, so retries and reschedules converge.
    `due_at` is NULL when nothing is owed.
    """

    __tablename__ = "calendar_event_writes"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(255))
    # The calendar the event is in now (None when it is in none), so a move or delete finds it.
    written_calendar_url: Mapped[str | None] = mapped_column(String(2048))
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
