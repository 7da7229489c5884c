"""Dashboard forms (the profile, the fan's review, the player's reply): shape only; the services
(profiles.update_profile, marketplace/reviews.py) hold the rules."""

from __future__ import annotations

from typing import Self

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, Label, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ...models import Review
from ...services.accounts.accounts import DISPLAY_NAME_MAX
from ...services.accounts.profiles import LESSON_LENGTHS
from ...services.marketplace import languages, reviews
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
    # A group of checkboxes (the template draws it as a fieldset); an unknown code is refused here.
    languages = SelectMultipleField(
        "Languages you teach in",
        choices=languages.choices(),
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


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


def _own_ids(form: FlaskForm, prefix: str) -> None:
    """Give each field an id (and label) of its own: the dashboard shows one form per session or review."""
    for field in form:
        if field.name != "csrf_token":
            field.id = f"{prefix}-{field.name}"
            field.label = Label(field.id, field.label.text)


RATINGS = [("1", "1 star (poor)"), ("2", "2 stars"), ("3", "3 stars"), ("4", "4 stars"), ("5", "5 stars (excellent)")]


class ReviewForm(FlaskForm):
    """The fan's review of a completed session (a new one, or a change within 7 days)."""

    rating = RadioField(
        "Your rating", choices=RATINGS, validators=[InputRequired("Choose a rating from 1 to 5 stars.")]
    )
    text = TextAreaField(
        "Your review (optional)", validators=[Optional(), Length(max=reviews.MAX_TEXT)], render_kw={"rows": 4}
    )
    visibility = RadioField(
        "Who can read it",
        choices=[
            ("public", "Everyone: shown on the player's profile and counted in their rating"),
            ("private", "Only the player"),
        ],
        validators=[InputRequired("Choose who can read your review.")],
    )

    def for_session(self, session_id: int, *, editing: bool = False) -> Self:
        _own_ids(self, f"{'edit' if editing else 'review'}-{session_id}")
        return self

    def fill(self, review: Review) -> Self:
        self.rating.data = str(review.rating)
        self.text.data = review.text
        self.visibility.data = "public" if review.public else "private"
        return self

    @property
    def public(self) -> bool:
        return self.visibility.data == "public"


class ReplyForm(FlaskForm):
    """The player's one public reply under a public review."""

    text = TextAreaField(
        "Your public reply",
        validators=[InputRequired("Write your reply."), Length(max=reviews.MAX_REPLY)],
        render_kw={"rows": 3},
    )

    def for_review(self, review_id: int) -> Self:
        _own_ids(self, f"reply-{review_id}")
        return self
