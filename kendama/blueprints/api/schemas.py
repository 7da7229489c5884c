"""Request and response shapes of the JSON API (pydantic); they also feed the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- requests ---------------------------------------------------------------
class RegisterIn(Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    display_name: str  # its rule is the service's (accounts.display_name_problem)
    role: Literal["fan", "player"]
    timezone: str = Field(max_length=64)
    birth_year: int | None = Field(
        default=None,
        description="fans: the year of birth (1900 to this year); without it the fan counts as an adult who declared none",
    )
    guardian_email: str | None = Field(
        default=None, max_length=254, description="fans under the guardian age (16): a parent's or guardian's email"
    )


class TokenIn(Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class PasswordChangeIn(Strict):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class OfferingIn(Strict):
    duration_minutes: int = Field(ge=15, le=30)
    price_amount: int = Field(ge=0, le=1_000_000)


class ProfileIn(Strict):
    display_name: str | None = None  # accounts.display_name_problem
    bio: str | None = Field(default=None, max_length=10_000)
    accepts_bookings: bool | None = None
    currency: str | None = Field(default=None, max_length=3)
    offerings: list[OfferingIn] | None = Field(default=None, max_length=16)
    recording_default: bool | None = None
    sharing_default: bool | None = None
    languages: list[str] | None = Field(
        default=None, max_length=50, description='ISO 639-1 codes of the languages taught in, e.g. ["en", "ja"]'
    )


class VerifyIn(Strict):
    approve: bool = True
    note: str = Field(default="", max_length=2000)


class PlayerQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    q: str | None = Field(default=None, max_length=100)
    free: Literal["true", "false"] | None = None
    max_price: int | None = Field(default=None, ge=0, le=2_147_483_647)
    duration: int | None = Field(default=None, ge=15, le=30)
    available_before: str | None = Field(default=None, max_length=40)
    sort: Literal["name", "soonest", "price", "rating"] = "name"
    trick: int | None = Field(default=None, ge=1, le=2_147_483_647, description="a catalog trick id the player teaches")
    language: str | None = Field(default=None, max_length=8, description="an ISO 639-1 code the player teaches in")


# --- responses --------------------------------------------------------------
class Money(BaseModel):
    amount: int
    currency: str


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: Literal["fan", "player", "admin"]
    timezone: str


class TokenOut(BaseModel):
    token: str
    expires_at: str
    user: UserOut


class OfferingOut(BaseModel):
    duration_minutes: int
    price: Money


class RatingOut(BaseModel):
    """From public, not hidden reviews: the average rounded to one decimal (null when count is 0)."""

    average: float | None
    count: int


class PlayerOut(BaseModel):
    id: int
    display_name: str
    bio: str
    avatar_url: str | None
    verified: bool
    offerings: list[OfferingOut]
    next_available: str | None
    rating: RatingOut
    languages: list[str]


class PlayerPage(BaseModel):
    items: list[PlayerOut]
    page: int
    per_page: int
    total: int


class ProfileOut(BaseModel):
    id: int
    display_name: str
    bio: str
    avatar_url: str | None
    accepts_bookings: bool
    currency: str
    offerings: list[OfferingOut]
    recording_default: bool
    sharing_default: bool
    languages: list[str]
    verification_state: Literal["unverified", "pending", "verified", "rejected"]
    payout_state: Literal["none", "onboarding", "restricted", "enabled"]


# --- calendar connection (CalDAV) -------------------------------------------------
class CalendarConnectionIn(Strict):
    """Connect or reconnect (server_url, username, password), and/or choose calendars."""

    server_url: str | None = Field(default=None, max_length=2048)
    username: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, max_length=1024)
    busy_calendar_urls: list[str] | None = Field(default=None, max_length=100)
    write_calendar_url: str | None = Field(default=None, max_length=2048)


class CalendarOut(BaseModel):
    url: str
    name: str


class CalendarConnectionOut(BaseModel):
    server_url: str
    username: str
    status: Literal["ok", "wrong_password", "calendar_missing", "unreachable"]
    problem: str | None
    stopped: bool
    calendars: list[CalendarOut]
    busy_calendar_urls: list[str]
    write_calendar_url: str | None
    busy_synced_at: str | None
    writes_waiting: int
    writes_stopped: int
