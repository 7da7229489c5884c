"""Booking forms: shape only; kendama/services/booking/lifecycle.py holds the rules."""

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput, Select, html_params

from ...services.coaching import catalog

GOAL_FIELDS = ("goal_1", "goal_2", "goal_3")


def _trick_id(value):
    """A picked trick's id, or None for the empty choice (the catalog rule is the service's)."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not a trick: the service refuses it with its own words


class GroupedSelect(Select):
    """A select whose choices are option groups, with the group named "" drawn as plain options
    (WTForms draws every group as an optgroup, so the "no goal" choice could not come first)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for group, choices in field.iter_groups():
            options = [self.render_option(value, label, selected, **extra) for value, label, selected, extra in choices]
            html.append(
                "".join(options) if not group else f"<optgroup {html_params(label=group)}>{''.join(options)}</optgroup>"
            )
        html.append("</select>")
        return Markup("".join(html))


def _goal_field(number: int) -> SelectField:
    return SelectField(
        f"Goal trick {number}",
        coerce=_trick_id,
        validate_choice=False,
        widget=GroupedSelect(),
        render_kw={"data-keep-across-swap": True, "data-trick-picker": True},
    )


def trick_choices() -> dict[str, list]:
    """The catalog as option groups by family, after an empty "no goal" choice. Each option
    carries the trick's names, which the searching combobox (js/goal-picker.js) matches."""
    groups: dict[str, list] = {"": [("", "No goal trick")]}
    for trick in catalog.active_tricks():
        label = catalog.FAMILY_LABELS[trick.family]
        names = {"data-names": "|".join(catalog.names_of(trick))}
        groups.setdefault(label, []).append((trick.id, f"{trick.name} (level {trick.level})", names))
    return groups


class SlotChoiceForm(FlaskForm):
    """A chosen start time; the radio group itself is drawn by the slot-list fragment."""

    start = StringField("Time", validators=[DataRequired(message="Choose a time.")])
    day = HiddenField()


class BookingForm(SlotChoiceForm):
    duration = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    # Kept when another day's times replace the form (app.js, data-keep-across-swap).
    notes = TextAreaField(
        "Anything the player should know? (optional)",
        validators=[Optional(), Length(max=2000)],
        render_kw={"data-keep-across-swap": True},
    )
    recording_consent = BooleanField(
        "I agree that this session may be recorded (the player must agree too)",
        render_kw={"data-keep-across-swap": True},
    )
    # Shown only to a fan holding a credit for this player and length (its label names how many).
    use_credit = BooleanField("Book with one of my lesson credits", render_kw={"data-keep-across-swap": True})
    goal_1 = _goal_field(1)
    goal_2 = _goal_field(2)
    goal_3 = _goal_field(3)
    goal_note = TextAreaField(
        "What do you want to get better at? (optional)",
        validators=[Optional(), Length(max=2000)],
        render_kw={"data-keep-across-swap": True},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = trick_choices()
        for name in GOAL_FIELDS:
            self[name].choices = choices

    @property
    def goal_ids(self) -> list[int]:
        return [self[name].data for name in GOAL_FIELDS if self[name].data is not None]
