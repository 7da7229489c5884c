"""Forms check shape only; the consent rules live in services/video/calls.py."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField


class ConsentForm(FlaskForm):
    recording = BooleanField("I agree to this session being recorded")
    sharing = BooleanField("I allow the recording to be reused or shared (needs the recording consent)")


class SharingForm(FlaskForm):
    """Allow (allow=y) or withdraw (no allow) one's permission to share; `back` names the page to return to."""

    allow = BooleanField()
    back = HiddenField()


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""
