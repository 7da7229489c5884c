"""The booking page, its htmx fragments, the booking form post and the confirmation page."""

from __future__ import annotations

from flask import current_app, flash, render_template, request, url_for
from flask_login import current_user, login_required

from ...extensions import limiter
from ...services.accounts import guardians
from ...services.booking import eligibility, lifecycle, offers, queries
from ...services.errors import ServiceError
from ...services.payments import checkout, credits
from ...services.timezones import parse_aware
from ...web.template_helpers import viewer_zone
from ..form_errors import apply_service_errors
from ..redirects import see_other
from . import bp, kept
from .forms import BookingForm
from .picker import context, picker_args

SLOT_TAKEN = "Sorry, that time was just taken. Here are the times that are still open."


def _render(
    template: str,
    player_id: int,
    form: BookingForm,
    status: int = 200,
    message: str | None = None,
    kept_choices: kept.KeptChoices | None = None,
):
    """The booking page or one of its fragments; `message` says why the last press was refused.

    With `kept_choices` (the visitor signed in meanwhile) the form comes back filled in, except
    for a time that is no longer open: the page says so, and shows the times that are.
    """
    duration, first_day, day = picker_args()
    viewer = current_user if current_user.is_authenticated else None
    profile, choices = offers.booking_choices(
        player_id, duration, viewer_zone(), first_day, day, viewer_id=viewer.id if viewer else None
    )
    values = context(choices, "booking.book", day_step=2, player_id=player_id)  # 1 is the length
    kept_time_taken = bool(kept_choices and kept_choices.start) and kept_choices.start_at not in {
        slot.start for slot in choices.day_slots
    }
    if kept_time_taken:
        form.start.data = None
    credit_count = credits.usable_count(viewer.id, player_id, choices.duration_minutes) if viewer else 0
    if credit_count:
        form.use_credit.label.text = f"Book with one of my lesson credits ({credit_count} left)"
        if not form.is_submitted():
            form.use_credit.data = True  # a fan who bought lessons wants to use them
    response = render_template(
        template,
        profile=profile,
        form=form,
        message=message,
        refusal=eligibility.booking_refusal(viewer, profile, choices.duration_minutes),
        kept=kept_choices,
        kept_time_taken=kept_time_taken,
        credit_count=credit_count,
        may_record=viewer is None or guardians.allowances_of(viewer).recording,
        mode="book",
        form_action=url_for("booking.create", player_id=player_id),
        **values,
    )
    headers = {"HX-Push-Url": values["page_link"]} if template.startswith("booking/_") else {}
    return response, status, headers


def _explanation(form: BookingForm, error: ServiceError) -> str:
    """What the page says by the form about a refused booking; field messages also go by their fields."""
    apply_service_errors(form, error)
    if error.message == lifecycle.SLOT_TAKEN:
        return SLOT_TAKEN  # the page shows the times that are still open
    return " ".join([error.message, *(text for text in form.form_errors if text != error.message)])


def _form_problems(form: BookingForm) -> str:
    return " ".join(message for messages in form.errors.values() for message in messages)


@bp.get("/players/<int:player_id>/book")
def book(player_id: int):
    kept_choices = kept.take(player_id)
    form = kept_choices.form() if kept_choices else BookingForm()
    return _render("booking/book.html", player_id, form, kept_choices=kept_choices)


@bp.get("/players/<int:player_id>/book/days")
def book_days(player_id: int):
    return _render("booking/_days.html", player_id, BookingForm())


@bp.get("/players/<int:player_id>/book/slots")
def book_slots(player_id: int):
    return _render("booking/_slots.html", player_id, BookingForm())


@bp.post("/players/<int:player_id>/book")
@limiter.limit(lambda: current_app.config["RATELIMIT_BOOKING"])  # the same limit as POST /api/sessions
def create(player_id: int):
    form = BookingForm()
    if not current_user.is_authenticated:
        return _sign_in_first(player_id, form)
    if not form.validate_on_submit():
        return _render("booking/book.html", player_id, form, 422, message=_form_problems(form))
    try:
        start = parse_aware(form.start.data, field="start")
        session = lifecycle.create_session(
            current_user,
            player_id,
            start,
            form.duration.data,
            notes=form.notes.data or "",
            recording_consent=form.recording_consent.data,
            goals=form.goal_ids,
            goal_note=form.goal_note.data or "",
            use_credit=form.use_credit.data,
        )
    except ServiceError as exc:
        return _render("booking/book.html", player_id, form, exc.status, message=_explanation(form, exc))
    if session.status == "pending_payment":
        # Straight on to Checkout; the payment page explains and retries if it could not open.
        payment = checkout.open_payment(session)
        return see_other(
            payment.checkout_url if payment else url_for("payments.checkout_return", session_id=session.id)
        )
    return see_other(url_for("booking.booked", session_id=session.id))


def _sign_in_first(player_id: int, form: BookingForm):
    """A visitor's press: keep what they chose, and send them to sign in (or create an account) and back."""
    choices = kept.keep(player_id, *picker_args(), form)
    flash("Sign in or create an account to book. We keep your choices and bring you back to them.", "info")
    endpoint = "auth.register" if request.form.get("account") == "register" else "auth.login"
    return see_other(url_for(endpoint, next=choices.page_link()))


@bp.get("/sessions/<int:session_id>/booked")
@login_required
def booked(session_id: int):
    return render_template("booking/booked.html", session=queries.get_session(current_user, session_id))
