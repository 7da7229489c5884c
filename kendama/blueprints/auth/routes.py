"""Sign in/out, registration, settings, and password change and reset pages."""

from __future__ import annotations

from flask import current_app, flash, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ...extensions import limiter
from ...services import accounts, notifications
from ...services.errors import ServiceError
from ...template_helpers import browser_zone
from ..booking import kept
from ..form_errors import apply_service_errors
from ..redirects import local_next, safe_next, see_other
from . import bp
from .forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm, SettingsForm

# What a visitor was doing that must outlive the fresh session of signing in: the booking
# choices they made before being asked to sign in (blueprints/booking/kept.py).
SURVIVES_SIGN_IN = (kept.SESSION_KEY,)


def _home(user) -> str:
    """Where someone goes after signing in when no safe `next` says otherwise."""
    return "admin.index" if user.is_admin else "dashboard.index"


def _sign_in(user, remember: bool = False) -> None:
    carried = {key: session[key] for key in SURVIVES_SIGN_IN if key in session}
    session.clear()  # a fresh session on sign-in: no session fixation
    session.update(carried)
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN"],
    methods=["POST"],
    deduct_when=lambda response: response.status_code != 303,
)
def login():
    if current_user.is_authenticated:
        return see_other(safe_next(_home(current_user)))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            _sign_in(user, remember=form.remember.data)
            flash(f"Welcome back, {user.display_name}.", "success")
            return see_other(safe_next(_home(user)))
        form.form_errors.append("Email or password is not right.")
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form, next_path=local_next()), status


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return see_other(url_for("discovery.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], methods=["POST"])
def register():
    form = RegisterForm()
    if request.method == "GET":
        # The zone the browser reported on an earlier page; app.js also prefers the browser's
        # zone, which it knows on the very first page too. Without either: the empty choice.
        form.timezone.data = browser_zone() or ""
        form.timezone.render_kw = {"data-prefer-browser-zone": True}
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.register_user(
                form.email.data, form.password.data, form.display_name.data, form.role.data, form.timezone.data
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            _sign_in(user)
            flash("Your account is ready.", "success")
            target = "dashboard.profile" if user.is_player else "discovery.players"
            return see_other(local_next() or url_for(target))
    elif form.is_submitted():
        status = 422
    return render_template("auth/register.html", form=form, next_path=local_next()), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm(obj=current_user)
    status = 200
    if form.validate_on_submit():
        try:
            accounts.update_preferences(
                current_user.id,
                timezone=form.timezone.data,
                display_name=form.display_name.data,
                email_reminders=form.email_reminders.data,
                email_feedback_requests=form.email_feedback_requests.data,
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            flash("Settings saved.", "success")
            return see_other(url_for("auth.settings"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/settings.html", form=form, password_form=ChangePasswordForm(prefix="pw")), status


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm(prefix="pw")
    status = 422
    if form.validate_on_submit():
        try:
            user = accounts.change_password(current_user.id, form.current_password.data, form.new_password.data)
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            _sign_in(user)  # keep this browser signed in; every other session ends
            flash("Your password is changed. Other devices are signed out.", "success")
            return see_other(url_for("auth.settings"))
    return render_template("auth/settings.html", form=SettingsForm(obj=current_user), password_form=form), status


@bp.post("/account/calendar-token")
@login_required
def regenerate_calendar_token():
    accounts.regenerate_calendar_token(current_user.id)
    flash("Your calendar link is new. Subscribe again with it; the old link no longer works.", "success")
    return see_other(url_for("auth.settings"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = accounts.user_for_reset_email(form.email.data)
        if user is not None:
            notifications.send_password_reset(user)
        # The same answer whether or not the address has an account.
        flash("If that address has an account, a reset link is on its way.", "info")
        return see_other(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.reset_password(token, form.password.data)
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            _sign_in(user)
            flash("Your new password is set.", "success")
            return see_other(url_for(_home(user)))
    elif form.is_submitted():
        status = 422
    return render_template("auth/reset.html", form=form, token=token), status
