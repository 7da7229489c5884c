"""The guardian's choices and the cancel confirmation; the rules live in services/accounts/guardians.py."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length, Optional


class ConsentForm(FlaskForm):
    # "Cost nothing", not "free": the word is kept for the price (tests/integration/test_free_means_price.py).
    free_lessons = BooleanField("Book lessons that cost nothing")
    paid_lessons = BooleanField("Book paid lessons")
    recording = BooleanField("Have lessons recorded, when the player records too")
    sharing = BooleanField("Share their progress with every player they book, not only the player who noted it")


class GuardianCancelForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional; the fan and the player see it)", validators=[Optional(), Length(max=2000)]
    )
