"""Forms check shape only; the account rules live in services/accounts/accounts.py."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices(self.timezone.data)


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
