"""A visitor's booking choices, kept in their session while they sign in or create an account.

A visitor who presses "Book this time" (or "sign in" / "create an account" in the booking form)
is sent to do that first. What they chose (length, days shown, day, time, note, recording
consent) is kept here, in the signed session, never in an address: the note is theirs. Signing
in starts a fresh session but carries this key over (auth's SURVIVES_SIGN_IN). The booking page
then takes the choices back once, fills its form with them and says so; the fan books with one
press. Choices kept for another player, or longer ago than KEPT_FOR, are dropped unseen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import current_app, session, url_for

from ...models import utcnow
from ...services.errors import ServiceError
from ...services.timezones import parse_aware
from .forms import GOAL_FIELDS, BookingForm

SESSION_KEY = "kept_booking"
# Long enough to sign in, or to create an account; a fan who comes back later starts afresh.
KEPT_FOR = timedelta(minutes=30)
# The session is a cookie, and browsers drop cookies over 4 KB, which would also lose the
# sign-in. The kept choices may take this much of it (signed and encoded); a longer note is
# not kept, and the page says so.
COOKIE_BUDGET = 2500


@dataclass(frozen=True)
class KeptChoices:
    player_id: int
    duration: int | None
    first_day: str | None  # the picker's "from" and "day", as the page had them
    day: str | None
    start: str | None  # the chosen time as the form sent it, or None when none was chosen
    notes: str
    recording_consent: bool
    kept_at: datetime
    notes_dropped: bool = False  # the note was too long to keep
    goals: list[int | None] = field(default_factory=list)  # the three goal pickers, as chosen
    goal_note: str = ""

    @property
    def start_at(self) -> datetime | None:
        try:
            return parse_aware(self.start, field="start") if self.start else None
        except ServiceError:
            return None

    def page_link(self) -> str:
        """The booking page showing what was chosen (length and days: nothing private)."""
        shown = {"duration": self.duration, "from": self.first_day, "day": self.day}
        return url_for("booking.book", player_id=self.player_id, **{k: v for k, v in shown.items() if v})

    def form(self) -> BookingForm:
        return BookingForm(
            formdata=None,
            data={
                "start": self.start,
                "notes": self.notes,
                "recording_consent": self.recording_consent,
                "goal_note": self.goal_note,
                **dict(zip(GOAL_FIELDS, self.goals, strict=False)),
            },
        )


def keep(
    player_id: int, duration: int | None, first_day: date | None, day: date | None, form: BookingForm
) -> KeptChoices:
    """Keep what the visitor chose in their session (all of it is checked again when they come back)."""
    values = {
        "player_id": player_id,
        "duration": duration,
        "first_day": first_day.isoformat() if first_day else None,
        "day": day.isoformat() if day else None,
        "start": form.start.data or None,
        "notes": form.notes.data or "",
        "recording_consent": bool(form.recording_consent.data),
        "goals": [form[name].data for name in GOAL_FIELDS],
        "goal_note": form.goal_note.data or "",
        "kept_at": utcnow().timestamp(),
    }
    if _cookie_size(values) > COOKIE_BUDGET:
        values.update(notes="", goal_note="", notes_dropped=True)
    session[SESSION_KEY] = values
    return _choices(values)


def take(player_id: int) -> KeptChoices | None:
    """The choices kept for this player's booking page, once; any kept choices are gone after."""
    if SESSION_KEY not in session:
        return None
    values = session.pop(SESSION_KEY)
    if not isinstance(values, dict):
        return None
    try:
        kept = _choices(values)
    except (KeyError, TypeError, ValueError):
        return None
    if kept.player_id != player_id or utcnow() - kept.kept_at > KEPT_FOR:
        return None
    return kept


def _choices(values: dict) -> KeptChoices:
    return KeptChoices(**{**values, "kept_at": datetime.fromtimestamp(values["kept_at"], UTC)})


def _cookie_size(values: dict) -> int:
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    return len(serializer.dumps({SESSION_KEY: values}))
