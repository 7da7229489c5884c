"""Dashboard pages: the overview and the player's profile editor."""

from __future__ import annotations

from flask import current_app, flash, render_template, request, url_for
from flask_login import current_user, login_required

from ...extensions import limiter, per_user
from ...services import access, dashboard, feedback
from ...services.accounts import profiles
from ...services.accounts.profiles import LESSON_LENGTHS
from ...services.errors import InvalidInput, ServiceError
from ...services.marketplace import reviews
from ...services.payments.money import from_minor_units, to_minor_units
from ..form_errors import apply_service_errors
from ..redirects import see_other
from . import bp
from .forms import ProfileForm, ReplyForm, ReviewForm


@bp.get("/")
@login_required
def index():
    return dashboard_page()


def dashboard_page(*, failed: tuple[str, int, object] | None = None, status: int = 200):
    """The dashboard; a refused review or reply form (kind, id, form) replaces its blank copy."""
    failed_kind, failed_id, failed_form = failed or (None, None, None)

    def form_for(kind: str, key: int, blank):
        return failed_form if (kind, key) == (failed_kind, failed_id) else blank()

    awaiting = feedback.sessions_awaiting_feedback(current_user)
    review_forms = {
        s.id: form_for("review", s.id, lambda: ReviewForm(formdata=None)).for_session(s.id)
        for s in awaiting
        if s.fan_id == current_user.id
    }
    editable = [] if current_user.is_player else reviews.editable_reviews(current_user)
    edit_forms = {
        r.session_id: form_for("edit", r.session_id, lambda r=r: ReviewForm(formdata=None).fill(r)).for_session(
            r.session_id, editing=True
        )
        for r in editable
    }
    received = reviews.reviews_of_player(current_user) if current_user.is_player else []
    reply_forms = {
        r.id: form_for("reply", r.id, lambda: ReplyForm(formdata=None)).for_review(r.id)
        for r in received
        if r.public and r.reply_text is None
    }
    page = render_template(
        "dashboard/index.html",
        view=dashboard.overview(current_user),
        awaiting_feedback=awaiting,
        review_forms=review_forms,
        editable_reviews=editable,
        edit_forms=edit_forms,
        editable_until=reviews.editable_until,
        received_reviews=received,
        reply_forms=reply_forms,
        failed=failed,
    )
    return page, status


@bp.get("/sessions/<int:session_id>/receipt")
@login_required
def receipt(session_id: int):
    return render_template("dashboard/receipt.html", receipt=dashboard.receipt(current_user, session_id))


def _fill_form(form: ProfileForm, profile) -> None:
    form.display_name.data = profile.user.display_name
    form.bio.data = profile.bio
    form.accepts_bookings.data = profile.accepts_bookings
    form.currency.data = profile.currency
    form.recording_default.data = profile.recording_default
    form.sharing_default.data = profile.sharing_default
    form.languages.data = profile.language_codes
    prices = {o.duration_minutes: o.price_amount for o in profile.offerings}
    for minutes in LESSON_LENGTHS:
        getattr(form, f"offer_{minutes}").data = minutes in prices
        if minutes in prices:
            getattr(form, f"price_{minutes}").data = from_minor_units(prices[minutes], profile.currency)


def _offerings_from(form: ProfileForm) -> list[profiles.OfferingInput]:
    offerings, errors = [], {}
    for minutes in LESSON_LENGTHS:
        if not getattr(form, f"offer_{minutes}").data:
            continue
        raw = getattr(form, f"price_{minutes}").data or "0"
        try:
            offerings.append(profiles.OfferingInput(minutes, to_minor_units(raw, form.currency.data)))
        except ValueError:
            errors[f"price_{minutes}"] = "Enter an amount such as 25 or 25.50 (0 for free)."
    if errors:
        raise InvalidInput(errors)
    return offerings


def _uploaded_avatar():
    """The photo file the profile form sent, or None when none was chosen."""
    upload = request.files.get("avatar")
    return upload if upload and upload.filename else None


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["RATELIMIT_AVATAR"],
    key_func=per_user,
    methods=["POST"],
    exempt_when=lambda: _uploaded_avatar() is None,  # saves without a photo are not counted
)
def profile():
    access.require_player(current_user)
    record = profiles.get_player_profile(current_user.id)
    form = ProfileForm()
    status = 200
    if request.method == "GET":
        _fill_form(form, record)
    elif form.validate_on_submit():
        try:
            profiles.update_profile(
                current_user,
                display_name=form.display_name.data,
                bio=form.bio.data or "",
                accepts_bookings=form.accepts_bookings.data,
                currency=form.currency.data,
                offerings=_offerings_from(form),
                recording_default=form.recording_default.data,
                sharing_default=form.sharing_default.data,
                avatar=upload.read() if (upload := _uploaded_avatar()) else None,
                remove_avatar=form.remove_avatar.data,
                languages=form.languages.data or [],
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            flash("Profile saved.", "success")
            return see_other(url_for("dashboard.profile"))
    else:
        status = 422
    return render_template("dashboard/profile.html", form=form, profile=record, durations=LESSON_LENGTHS), status
