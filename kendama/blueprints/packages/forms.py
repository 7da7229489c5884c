"""The player's package editor: a few rows of (lessons, length, price); empty rows are ignored."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

ROWS = 3


def _minutes(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class PackagesForm(FlaskForm):
    """Rows named lessons_1, duration_1, price_1 … (the service's "0.lessons" is row 1's lessons)."""

    def rows(self) -> list[tuple]:
        return [(self[f"lessons_{i}"], self[f"duration_{i}"], self[f"price_{i}"]) for i in range(1, ROWS + 1)]


for _row in range(1, ROWS + 1):
    setattr(
        PackagesForm,
        f"lessons_{_row}",
        IntegerField(f"Package {_row}: number of lessons", validators=[Optional(), NumberRange(2, 10)]),
    )
    setattr(
        PackagesForm,
        f"duration_{_row}",
        # The service says which lengths may have packages, in its own words.
        SelectField(f"Package {_row}: lesson length", coerce=_minutes, choices=[], validate_choice=False),
    )
    setattr(PackagesForm, f"price_{_row}", StringField(f"Package {_row}: price for all its lessons"))
