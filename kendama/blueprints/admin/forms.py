"""Admin console forms: shape only; services/oversight.py holds the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField
from wtforms.validators import Length, Optional

from ...models import SessionStatus
from ...services.oversight import SessionFilter

STATUS_LABELS = {
    SessionStatus.PENDING_PAYMENT: "Awaiting payment",
    SessionStatus.CONFIRMED: "Confirmed",
    SessionStatus.IN_PROGRESS: "In progress",
    SessionStatus.COMPLETED: "Completed",
    SessionStatus.CANCELLED: "Cancelled",
    SessionStatus.NO_SHOW: "No-show",
}


class SessionFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: it changes nothing and its address can be bookmarked

    person = SearchField("Player or fan", validators=[Optional(), Length(max=100)])
    status = SelectField(
        "Status", choices=[("", "Any status")] + [(s.value, label) for s, label in STATUS_LABELS.items()], default=""
    )
    start_date = DateField("From", validators=[Optional()])
    end_date = DateField("To", validators=[Optional()])

    def to_filter(self) -> SessionFilter:
        """The filter the valid fields describe (a field with an error is left out)."""

        def valid(field):
            return None if field.errors or field.data in (None, "") else field.data

        return SessionFilter(
            status=valid(self.status),
            start_date=valid(self.start_date),
            end_date=valid(self.end_date),
            person=valid(self.person),
        )

    def query_params(self) -> dict[str, str]:
        """The valid filters as query parameters (for the pager's links)."""
        params = {}
        for field in (self.person, self.status, self.start_date, self.end_date):
            if not field.errors and field.data not in (None, ""):
                params[field.name] = field.data.isoformat() if hasattr(field.data, "isoformat") else str(field.data)
        return params
