"""Forms check shape only; the consent rules live in services/video.py."""

from flask_wtf import FlaskForm
from wtforms import BooleanField


class ConsentForm(FlaskForm):
    recording = BooleanField("I agree to this session being recorded")
    sharing = BooleanField("I allow the recording to be reused or shared (needs the recording consent)")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""
