"""Accounts, API tokens and player profiles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    FAN = "fan"
    PLAYER = "player"
    ADMIN = "admin"


class VerificationState(enum.StrEnum):
    UNVERIFIED = "unverified"
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class PayoutState(enum.StrEnum):
    NONE = "none"  # no connected account yet
    ONBOARDING = "onboarding"  # account created, details not complete
    RESTRICTED = "restricted"  # Stripe needs more information
    ENABLED = "enabled"  # charges enabled


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.FAN.value)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    display_name: Mapped[str] = mapped_column(String(80))
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change and on a new registration for a waiting account: reset and
    # confirmation links minted before it stop working.
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    # None while an account made on the registration page waits for its confirmation link
    # (it cannot sign in yet). Accounts made through the API, the command line or the demo
    # seed are usable at once, as the API contract says, and count as confirmed when made.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # Secret token of the private iCalendar feed; regenerating it revokes old subscriptions.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    email_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    email_feedback_requests: Mapped[bool] = mapped_column(Boolean, default=True)
    # A fan's progress is shown to the players who marked it; with this, to every player they book.
    progress_shared_with_players: Mapped[bool] = mapped_column(Boolean, default=False)
    # A fan's birth year (services/accounts/guardians.py: under GUARDIAN_AGE a guardian must consent);
    # None for players, admins and API accounts that declared none, who count as adults.
    birth_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    profile: Mapped[Profile | None] = relationship(back_populates="user", uselist=False, foreign_keys="Profile.user_id")

    __table_args__ = (CheckConstraint("role in ('fan','player','admin')", name="role"),)

    # The sign-in (services/accounts/sign_ins.py) this user object was loaded by or signed in with; never
    # stored on the row. flask-login keeps it, not the user id, in the session and the
    # remember-me cookie (auth_loading.py sets its id_attribute to get_sign_in_key).
    sign_in_key = None

    def get_sign_in_key(self) -> str | None:
        return self.sign_in_key

    @property
    def is_active(self) -> bool:  # flask-login reads this
        return self.is_active_account

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_player(self) -> bool:
        return self.role == Role.PLAYER


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SignIn(db.Model):
    """A browser's live sign-in: signing out ends it here, so a copied cookie stops working.

    The browser's session and remember-me cookies carry a random key; only its SHA-256 digest
    is stored, as for API tokens.
    """

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remembered: Mapped[bool] = mapped_column(Boolean, default=False)  # "keep me signed in" was ticked
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Profile(db.Model):
    """A player's public profile and session preferences."""

    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    avatar_key: Mapped[str | None] = mapped_column(String(128))
    accepts_bookings: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    recording_default: Mapped[bool] = mapped_column(Boolean, default=False)
    sharing_default: Mapped[bool] = mapped_column(Boolean, default=False)
    verification_state: Mapped[str] = mapped_column(String(16), default=VerificationState.UNVERIFIED.value)
    verification_note: Mapped[str] = mapped_column(Text, default="")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    payout_account_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    payout_state: Mapped[str] = mapped_column(String(16), default=PayoutState.NONE.value)
    charges_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # An external iCalendar feed whose busy events block slots (imported by a job).
    calendar_import_url: Mapped[str | None] = mapped_column(String(2048))
    calendar_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    calendar_sync_error: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="profile", foreign_keys=[user_id])
    offerings: Mapped[list[Offering]] = relationship(
        back_populates="profile", order_by="Offering.duration_minutes", cascade="all, delete-orphan"
    )
    languages: Mapped[list[PlayerLanguage]] = relationship(order_by="PlayerLanguage.code", cascade="all, delete-orphan")

    @property
    def is_verified(self) -> bool:
        return self.verification_state == VerificationState.VERIFIED

    @property
    def language_codes(self) -> list[str]:
        """The ISO 639-1 codes of the languages the player teaches in, in code order."""
        return [language.code for language in self.languages]


class Offering(db.Model):
    """One bookable length with its price in minor units (0 = free)."""

    __tablename__ = "offerings"

    id: Mapped[int] = mapped_column(primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("profiles.user_id", ondelete="CASCADE"), index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price_amount: Mapped[int] = mapped_column(Integer, default=0)

    profile: Mapped[Profile] = relationship(back_populates="offerings")

    __table_args__ = (
        UniqueConstraint("player_id", "duration_minutes", name="uq_offerings_player_duration"),
        CheckConstraint("duration_minutes between 15 and 30", name="duration_range"),
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
    )


class PlayerLanguage(db.Model):
    """A language a player teaches in, as its ISO 639-1 code (services/marketplace/languages.py)."""

    __tablename__ = "player_languages"

    player_id: Mapped[int] = mapped_column(ForeignKey("profiles.user_id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)
