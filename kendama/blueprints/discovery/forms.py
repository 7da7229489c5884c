"""The discovery page's filter form (a GET form, so it has no CSRF token and shares as a link), and
the Report form under each review on a profile."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from ...services.accounts.profiles import LESSON_LENGTHS
from ...services.coaching import catalog
from ...services.discovery import PlayerSearch, PlayerSort, available_this_week
from ...services.marketplace import languages, reviews
from ...services.payments.money import to_minor_units

# Prices are typed in whole units of the players' currencies; all but yen-like ones have cents.
PRICE_CURRENCY = "usd"


def _money(form, field) -> None:
    if field.data:
        try:
            to_minor_units(field.data, PRICE_CURRENCY)
        except ValueError as exc:
            raise ValidationError("Enter an amount such as 20 or 19.50.") from exc


def trick_choices() -> list[tuple[str, str]]:
    """The trick filter's options; the template asks for them while drawing, so a cached listing
    asks the database for nothing."""
    tricks = sorted(catalog.active_tricks(), key=lambda trick: trick.name)
    return [("", "Any trick")] + [(str(trick.id), trick.name) for trick in tricks]


class PlayerSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a search changes nothing; its address is meant to be shared

    q = SearchField("Name or style", validators=[Optional(), Length(max=100)])
    price = SelectField(
        "Price", choices=[("", "Free or paid"), ("free", "Free sessions"), ("paid", "Paid sessions")], default=""
    )
    max_price = StringField("Highest price", validators=[Optional(), Length(max=12), _money])
    duration = SelectField(
        "Length", choices=[("", "Any length")] + [(str(m), f"{m} minutes") for m in LESSON_LENGTHS], default=""
    )
    trick = SelectField("Teaches the trick", coerce=str, validate_choice=False, default="")
    language = SelectField("Teaches in", choices=[("", "Any language"), *languages.choices()], default="")
    week = BooleanField("Available in the next 7 days")
    sort = SelectField(
        "Sort by",
        choices=[
            (PlayerSort.SOONEST.value, "Soonest open time"),
            (PlayerSort.PRICE.value, "Lowest price"),
            (PlayerSort.RATING.value, "Highest rated"),
            (PlayerSort.NAME.value, "Name, A to Z"),
        ],
        default=PlayerSort.SOONEST.value,
    )

    def _valid(self, name: str):
        field = self[name]
        return None if field.errors or field.data in (None, "") else field.data

    def to_search(self) -> PlayerSearch:
        """The search the valid fields describe (a field with an error is left out, not guessed)."""
        price = self._valid("price")
        max_price = self._valid("max_price")
        duration = self._valid("duration")
        return PlayerSearch(
            text=self._valid("q"),
            free=None if price is None else price == "free",
            max_price=None if max_price is None else to_minor_units(max_price, PRICE_CURRENCY),
            duration=None if duration is None else int(duration),
            available_before=available_this_week() if self.week.data else None,
            sort=PlayerSort(self._valid("sort") or PlayerSort.SOONEST),
            trick_id=int(trick) if (trick := self._valid("trick")) and trick.isdigit() else None,
            language=self._valid("language"),
        )

    def query_params(self) -> dict[str, str]:
        """The valid, non-default filters as query parameters: the canonical address of this search."""
        params = {
            name: str(self._valid(name))
            for name in ("q", "price", "max_price", "duration", "trick", "language")
            if self._valid(name)
        }
        if self.week.data:
            params["week"] = "y"
        if self._valid("sort") and self.sort.data != PlayerSort.SOONEST.value:
            params["sort"] = self.sort.data
        return params


class ReportReviewForm(FlaskForm):
    """Asking the admins to look at a review (anyone signed in, once)."""

    reason = TextAreaField(
        "What is wrong with it? (optional)",
        validators=[Optional(), Length(max=reviews.MAX_REPORT_REASON)],
        render_kw={"rows": 2},
    )
