"""Admin console forms: shape only; services/oversight.py and services/coaching/catalog.py hold
the rules."""

from __future__ import annotations

from typing import Self

from flask_wtf import FlaskForm
from wtforms import DateField, Label, RadioField, SearchField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from ...models import SessionStatus, Trick
from ...services.coaching.catalog import FAMILY_LABELS
from ...services.oversight import SessionFilter
from ..booking.forms import GroupedSelect

STATUS_LABELS = {
    SessionStatus.PENDING_PAYMENT: "Awaiting payment",
    SessionStatus.CONFIRMED: "Confirmed",
    SessionStatus.IN_PROGRESS: "In progress",
    SessionStatus.COMPLETED: "Completed",
    SessionStatus.CANCELLED: "Cancelled",
    SessionStatus.NO_SHOW: "No-show",
}


class SessionFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: it changes nothing and its address can be bookmarked

    person = SearchField("Player or fan", validators=[Optional(), Length(max=100)])
    status = SelectField(
        "Status", choices=[("", "Any status")] + [(s.value, label) for s, label in STATUS_LABELS.items()], default=""
    )
    start_date = DateField("From", validators=[Optional()])
    end_date = DateField("To", validators=[Optional()])

    def to_filter(self) -> SessionFilter:
        """The filter the valid fields describe (a field with an error is left out)."""

        def valid(field):
            return None if field.errors or field.data in (None, "") else field.data

        return SessionFilter(
            status=valid(self.status),
            start_date=valid(self.start_date),
            end_date=valid(self.end_date),
            person=valid(self.person),
        )

    def query_params(self) -> dict[str, str]:
        """The valid filters as query parameters (for the pager's links)."""
        params = {}
        for field in (self.person, self.status, self.start_date, self.end_date):
            if not field.errors and field.data not in (None, ""):
                params[field.name] = field.data.isoformat() if hasattr(field.data, "isoformat") else str(field.data)
        return params


# --- the trick catalog ------------------------------------------------------------------------


def _number(value) -> int | None:
    """A chosen number, or None for the empty choice or anything else (the service says why)."""
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AddTrickForm(FlaskForm):
    # The catalog's rules (a name, a level from 1 to 10, a family, a name not taken) are the
    # service's, with its words: these selects take whatever comes and hand it on.
    name = StringField("Name")
    level = SelectField(
        "Level",
        choices=[("", "Choose a level")] + [(n, str(n)) for n in range(1, 11)],
        coerce=_number,
        validate_choice=False,
    )
    family = SelectField(
        "Family",
        choices=[("", "Choose a family")] + [(family.value, label) for family, label in FAMILY_LABELS.items()],
        validate_choice=False,
    )
    aliases = StringField("Also known as (optional)")

    def alias_list(self) -> list[str]:
        """The also-known-as names, written separated by commas."""
        return [alias.strip() for alias in (self.aliases.data or "").split(",") if alias.strip()]


def _for_row(field, prefix: str, trick: Trick, label: str) -> None:
    """Give a row's field an id and a label of its own: the page has one of it per trick."""
    field.id = f"{prefix}-{trick.id}"
    field.label = Label(field.id, label)


class RenameTrickForm(FlaskForm):
    name = StringField("New name")

    def for_trick(self, trick: Trick) -> Self:
        _for_row(self.name, "rename", trick, f"New name for {trick.name}")
        return self


class MergeTrickForm(FlaskForm):
    # Grouped by family, with names alone: one of these per trick makes the page's bulk.
    into = SelectField("Merge into", coerce=_number, validate_choice=False, widget=GroupedSelect())

    def for_trick(self, trick: Trick, offered: list[Trick]) -> Self:
        """Offer every other active trick to merge this one into."""
        _for_row(self.into, "merge", trick, f"Merge {trick.name} into")
        groups: dict[str, list] = {"": [("", "Choose a trick")]}
        for other in offered:
            if other.id != trick.id:
                groups.setdefault(FAMILY_LABELS[other.family], []).append((other.id, other.name))
        self.into.choices = groups
        return self

    def validate_into(self, field) -> None:
        if field.data is None:
            raise ValidationError("Choose the trick to merge it into.")
        if field.data not in {value for choices in field.choices.values() for value, _label in choices}:
            raise ValidationError("Choose a trick from the list.")


class RetireTrickForm(FlaskForm):
    """The Retire button: only the CSRF token."""


# --- reviews ----------------------------------------------------------------------------------


class HideReviewForm(FlaskForm):
    """Hiding a review: the reason is required and logged (services/marketplace/reviews.py)."""

    reason = StringField("Why hide it", validators=[DataRequired("Say why the review is hidden."), Length(max=500)])

    def for_review(self, review_id: int) -> Self:
        self.reason.id = f"hide-reason-{review_id}"
        self.reason.label = Label(self.reason.id, "Why hide it")
        return self


class UnhideReviewForm(FlaskForm):
    """The Show again button: only the CSRF token."""


class NoShowDecisionForm(FlaskForm):
    """An administrator's decision on a disputed no-show (services/booking/no_shows.py)."""

    decision = RadioField(
        "Decision",
        choices=[
            ("refund", "The player did not come: refund the fan in full"),
            ("reject", "The lesson took place: no refund"),
        ],
        validators=[DataRequired(message="Choose a decision.")],
    )
    note = TextAreaField(
        "Why (both sides see it)",
        validators=[DataRequired(message="Say why, in a few words."), Length(max=1000)],
    )
