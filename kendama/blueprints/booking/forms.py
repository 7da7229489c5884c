"""Booking forms: shape only; kendama/services/booking/lifecycle.py holds the rules."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput


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
