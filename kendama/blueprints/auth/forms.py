"""Forms check shape only; the account rules live in services/accounts/accounts.py."""

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from ...services.accounts.accounts import DISPLAY_NAME_MAX
from ..zone_choices import ZONE_REQUIRED, zone_choices


def new_password_field() -> PasswordField:
    """A new password as the account rules want it (the service checks it again)."""
    return PasswordField(
        "New password (at least 10 characters)",
        validators=[DataRequired(), Length(min=10, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )


def repeat_field(of: str) -> PasswordField:
    """The same password typed again, compared with the field named `of`."""
    return PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo(of, "The passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email()], render_kw={"autocomplete": "email"})
    password = PasswordField("Password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device")


class RegisterForm(FlaskForm):
    display_name = StringField(
        "Your name", validators=[DataRequired(), Length(max=DISPLAY_NAME_MAX)], render_kw={"autocomplete": "name"}
    )
    email = EmailField("Email", validators=[DataRequired(), Email()], render_kw={"autocomplete": "email"})
    password = PasswordField(
        "Password (at least 10 characters)",
        validators=[DataRequired(), Length(min=10, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    role = RadioField(
        "I want to",
        choices=[("fan", "Book lessons (fan)"), ("player", "Teach lessons (player)")],
        default="fan",
        validators=[DataRequired()],
    )
    timezone = SelectField("Time zone", validators=[DataRequired(ZONE_REQUIRED)])
    # Text, not a number input: a year is four digits to type, and the service checks its range.
    birth_year = StringField(
        "Birth year (fans)",
        validators=[Length(max=8)],
        render_kw={"autocomplete": "bday-year", "inputmode": "numeric", "maxlength": 4},
    )
    guardian_email = EmailField(
        "Parent's or guardian's email",
        validators=[Optional(), Email()],
        render_kw={"autocomplete": "off"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices(self.timezone.data)
        self.guardian_email.label.text += f" (fans under {current_app.config['GUARDIAN_AGE']})"

    def validate_birth_year(self, field) -> None:
        # The page asks every fan (the API keeps it optional for the clients it had before).
        text = (field.data or "").strip()
        if not text and self.role.data == "fan":
            raise ValidationError("Enter the year you were born.")
        if text and not (len(text) == 4 and text.isascii() and text.isdigit()):
            raise ValidationError("Enter the year you were born as four digits, such as 2011.")

    @property
    def birth_year_value(self) -> int | None:
        text = (self.birth_year.data or "").strip()
        return int(text) if text else None


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = new_password_field()
    confirm = repeat_field("new_password")


class ConfirmEmailForm(FlaskForm):
    password = PasswordField(
        "The password you chose", validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email()], render_kw={"autocomplete": "email"})


class ResetPasswordForm(FlaskForm):
    password = new_password_field()
    confirm = repeat_field("password")


class SettingsForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=DISPLAY_NAME_MAX)])
    timezone = SelectField("Time zone (all times are shown in it)", validators=[DataRequired(ZONE_REQUIRED)])
    email_reminders = BooleanField("Email me reminders 24 hours and 1 hour before a session")
    email_feedback_requests = BooleanField("Email me to ask for feedback after a session")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices(self.timezone.data)
