"""The booking page, its htmx fragments, the booking form post and the confirmation page."""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_login import current_user, login_required

from ...extensions import limiter
from ...services import booking, eligibility, payments
from ...services.errors import ServiceError
from ...services.timezones import parse_aware
from ...template_helpers import viewer_zone
from ..form_errors import apply_service_errors
from ..redirects import see_other
from . import bp
from .forms import BookingForm
from .picker import context, picker_args

SLOT_TAKEN = "Sorry, that time was just taken. Here are the times that are still open."


def _render(template: str, player_id: int, form: BookingForm, status: int = 200, message: str | None = None):
    """The booking page or one of its fragments; `message` says why the last press was refused."""
    duration, first_day, day = picker_args()
    profile, choices = booking.booking_choices(player_id, duration, viewer_zone(), first_day, day)
    values = context(choices, "booking.book", day_step=2, player_id=player_id)  # 1 is the length
    viewer = current_user if current_user.is_authenticated else None
    response = render_template(
        template,
        profile=profile,
        form=form,
        message=message,
        refusal=eligibility.booking_refusal(viewer, profile, choices.duration_minutes),
        mode="book",
        form_action=url_for("booking.create", player_id=player_id),
        **values,
    )
    headers = {"HX-Push-Url": values["page_link"]} if template.startswith("booking/_") else {}
    return response, status, headers


def _explanation(form: BookingForm, error: ServiceError) -> str:
    """What the page says by the form about a refused booking; field messages also go by their fields."""
    apply_service_errors(form, error)
    if error.message == booking.SLOT_TAKEN:
        return SLOT_TAKEN  # the page shows the times that are still open
    return " ".join([error.message, *(text for text in form.form_errors if text != error.message)])


def _form_problems(form: BookingForm) -> str:
    return " ".join(message for messages in form.errors.values() for message in messages)


@bp.get("/players/<int:player_id>/book")
def book(player_id: int):
    return _render("booking/book.html", player_id, BookingForm())


@bp.get("/players/<int:player_id>/book/days")
def book_days(player_id: int):
    return _render("booking/_days.html", player_id, BookingForm())


@bp.get("/players/<int:player_id>/book/slots")
def book_slots(player_id: int):
    return _render("booking/_slots.html", player_id, BookingForm())


@bp.post("/players/<int:player_id>/book")
@limiter.limit(lambda: current_app.config["RATELIMIT_BOOKING"])  # the same limit as POST /api/sessions
@login_required
def create(player_id: int):
    form = BookingForm()
    if not form.validate_on_submit():
        return _render("booking/book.html", player_id, form, 422, message=_form_problems(form))
    try:
        session = booking.create_session(
            current_user,
            player_id,
            parse_aware(form.start.data, field="start"),
            form.duration.data,
            notes=form.notes.data or "",
            recording_consent=form.recording_consent.data,
        )
    except ServiceError as exc:
        return _render("booking/book.html", player_id, form, exc.status, message=_explanation(form, exc))
    if session.status == "pending_payment":
        # Straight on to Checkout; the payment page explains and retries if it could not open.
        payment = payments.open_payment(session)
        return see_other(
            payment.checkout_url if payment else url_for("payments.checkout_return", session_id=session.id)
        )
    return see_other(url_for("booking.booked", session_id=session.id))


@bp.get("/sessions/<int:session_id>/booked")
@login_required
def booked(session_id: int):
    return render_template("booking/booked.html", session=booking.get_session(current_user, session_id))
