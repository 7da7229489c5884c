"""Request and response shapes for availability and sessions (pydantic; they feed the OpenAPI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ...web.url_converters import MAX_DATABASE_ID
from .schemas import Money, Strict

SessionStatusName = Literal["pending_payment", "confirmed", "in_progress", "completed", "cancelled", "no_show"]


# --- availability ---------------------------------------------------------------------------
class WeeklyWindowIn(Strict):
    weekday: int = Field(description="0 = Monday ... 6 = Sunday")
    start: str = Field(max_length=5, description="HH:MM, wall clock in the player's zone")
    end: str = Field(max_length=5, description="HH:MM; 24:00 (or 00:00) is midnight at the end of the day")


class DateOverrideIn(Strict):
    date: str = Field(max_length=10, description="YYYY-MM-DD")
    start: str | None = Field(default=None, max_length=5, description="omit start and end for a day off")
    end: str | None = Field(default=None, max_length=5)


class AvailabilityIn(Strict):
    timezone: str = Field(max_length=64)
    weekly: list[WeeklyWindowIn] = Field(max_length=200)
    overrides: list[DateOverrideIn] = Field(default_factory=list, max_length=1000)
    buffer_minutes: int
    min_notice_minutes: int
    max_days_ahead: int


class WeeklyWindowOut(BaseModel):
    weekday: int
    start: str
    end: str


class DateOverrideOut(BaseModel):
    date: str
    start: str | None
    end: str | None


class AvailabilityOut(BaseModel):
    player_id: int
    timezone: str
    weekly: list[WeeklyWindowOut]
    overrides: list[DateOverrideOut]
    buffer_minutes: int
    min_notice_minutes: int
    max_days_ahead: int


class SlotQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    from_: str | None = Field(default=None, alias="from", max_length=40, description="ISO 8601 with offset; now")
    to: str | None = Field(default=None, max_length=40, description="ISO 8601 with offset; default from + 14 days")
    duration: int | None = Field(default=None, ge=15, le=30, description="minutes; default the shortest offered")


class SlotOut(BaseModel):
    start: str
    end: str


class SlotListOut(BaseModel):
    player_id: int
    duration_minutes: int
    slots: list[SlotOut]


# --- sessions -----------------------------------------------------------------------------
class SessionIn(Strict):
    player_id: int = Field(ge=1, le=MAX_DATABASE_ID)
    start: str = Field(max_length=40, description="ISO 8601 with an offset")
    duration_minutes: int
    notes: str | None = Field(default=None, max_length=2000)
    recording_consent: bool = False
    goals: list[int] = Field(default_factory=list, max_length=20, description="catalog trick ids, at most 3")
    goal_note: str | None = Field(default=None, max_length=4000, description="what the fan wants; at most 2,000")
    use_credit: bool = Field(
        default=False, description="book with a lesson credit of a package bought from this player"
    )


class SessionUpdateIn(Strict):
    action: Literal["reschedule", "cancel"]
    start: str | None = Field(default=None, max_length=40, description="the new start (reschedule)")
    reason: str | None = Field(default=None, max_length=2000, description="why (cancel)")


class SessionListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: SessionStatusName | None = None
    upcoming: Literal["true", "false"] | None = None


class Participant(BaseModel):
    id: int
    display_name: str


class Consent(BaseModel):
    fan: bool
    player: bool


class RefundOut(BaseModel):
    amount: int
    currency: str
    status: Literal["pending", "succeeded", "failed", "dead", "none"]


class TrickRef(BaseModel):
    id: int
    name: str


class SessionOut(BaseModel):
    id: int
    status: SessionStatusName
    start: str
    end: str
    duration_minutes: int
    fan: Participant
    player: Participant
    price: Money
    player_share: Money | None = Field(description="what the player is paid; shown to the player and admins")
    notes: str
    goals: list[TrickRef]
    goal_note: str
    hold_expires_at: str | None
    checkout_url: str | None
    recording_consent: Consent
    reschedule_count: int
    cancelled_at: str | None
    cancelled_by: Literal["fan", "player", "admin", "system", "guardian"] | None = Field(
        description="guardian: a young fan's guardian, from the link in their copy of the confirmation"
    )
    cancellation_reason: str | None
    fan_is_minor: bool = Field(description="the fan was under the guardian age when booking (the age is never shown)")


class SessionUpdateOut(SessionOut):
    refund: RefundOut | None = None


class SessionPageOut(BaseModel):
    items: list[SessionOut]
    page: int
    per_page: int
    total: int
