"""Profile form: shape only; profiles.update_profile holds the rules."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...services.accounts.accounts import DISPLAY_NAME_MAX
from ...services.accounts.profiles import LESSON_LENGTHS
from ...services.payments.money import SUPPORTED_CURRENCIES


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=DISPLAY_NAME_MAX)])
    bio = TextAreaField("About you and your lessons", validators=[Optional(), Length(max=4000)])
    accepts_bookings = BooleanField("Take bookings (show me on the discovery page)")
    currency = SelectField("Currency", choices=[(c, c.upper()) for c in SUPPORTED_CURRENCIES])
    recording_default = BooleanField("By default, agree to record my sessions (fans must agree too)")
    sharing_default = BooleanField("By default, allow sharing recordings (fans must agree too)")
    avatar = FileField("Photo (PNG, JPEG or WebP, under 2 MB)")
    remove_avatar = BooleanField("Remove my photo")


def add_offering_fields(form_class):
    """One 'offer' checkbox and one price box per duration, generated so they stay in step."""
    for minutes in LESSON_LENGTHS:
        setattr(form_class, f"offer_{minutes}", BooleanField(f"Offer {minutes}-minute sessions"))
        setattr(
            form_class,
            f"price_{minutes}",
            StringField(f"Price for {minutes} minutes (0 = free)", validators=[Optional(), Length(max=12)]),
        )
    return form_class


add_offering_fields(ProfileForm)
