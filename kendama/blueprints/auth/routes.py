"""Sign in/out, registration, settings, and password change and reset pages."""

from __future__ import annotations

from flask import current_app, flash, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ...extensions import limiter, per_user
from ...services.accounts import accounts, guardians, sign_ins
from ...services.errors import ServiceError
from ...services.notifications import outbox
from ...web.template_helpers import browser_zone
from ..booking import kept
from ..form_errors import apply_service_errors
from ..redirects import local_next, local_path, safe_next, see_other
from ..registration_limits import limit_registration
from . import bp
from .forms import (
    ChangePasswordForm,
    ConfirmEmailForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    SettingsForm,
)

# What a visitor was doing that must outlive the fresh session of signing in: the booking
# choices they made before being asked to sign in (blueprints/booking/kept.py).
SURVIVES_SIGN_IN = (kept.SESSION_KEY,)


def _home(user) -> str:
    """Where someone goes after signing in when no safe `next` says otherwise."""
    return "admin.index" if user.is_admin else "dashboard.index"


def _first_page(user) -> str:
    """Where a new account goes once it is ready."""
    return url_for("dashboard.profile" if user.is_player else "discovery.players")


def _sign_in(user, remember: bool = False) -> None:
    """Sign this browser in: a fresh session naming a new server-side sign-in (services/accounts/sign_ins.py)."""
    carried = {key: session[key] for key in SURVIVES_SIGN_IN if key in session}
    session.clear()  # a fresh session on sign-in: no session fixation
    session.update(carried)
    user.sign_in_key = sign_ins.begin(user.id, remembered=remember)
    login_user(user, remember=remember)


def _sign_browser_out() -> None:
    """Forget this browser's sign-in: its session and its remember-me cookie."""
    logout_user()  # marks the remember-me cookie for deletion in the session, which is cleared next
    forget_cookie = session.get("_remember")
    session.clear()
    if forget_cookie:
        session["_remember"] = forget_cookie  # flask-login deletes the cookie when the answer goes out


# Guessing passwords: the sign-in form, the confirmation page and the password change each allow
# RATELIMIT_LOGIN failed tries per client.
_password_guesses = limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN"],
    methods=["POST"],
    deduct_when=lambda response: response.status_code != 303,
)


@bp.route("/login", methods=["GET", "POST"])
@_password_guesses
def login():
    if current_user.is_authenticated:
        return see_other(safe_next(_home(current_user)))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except ServiceError as exc:  # the right password of an account still waiting for its link
            apply_service_errors(form, exc)
            return render_template("auth/login.html", form=form, next_path=local_next()), exc.status
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
    if current_user.is_authenticated:
        sign_ins.end(current_user.get_sign_in_key())  # a copy of the cookies stops working too
    _sign_browser_out()
    flash("You are signed out.", "info")
    return see_other(url_for("discovery.index"))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    sign_ins.sign_out_everywhere(current_user.id)
    _sign_browser_out()
    flash("You are signed out on every device, and your API tokens no longer work.", "info")
    return see_other(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@limit_registration(methods=["POST"])
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
            # The same answer for an address with an account: its owner gets an email instead.
            accounts.start_registration(
                form.email.data,
                form.password.data,
                form.display_name.data,
                form.role.data,
                form.timezone.data,
                birth_year=form.birth_year_value,
                guardian_email=form.guardian_email.data,
                next_path=local_next(),
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            return see_other(url_for("auth.registration_sent"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/register.html", form=form, next_path=local_next()), status


@bp.get("/register/sent")
def registration_sent():
    return render_template("auth/registration_sent.html")


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@_password_guesses
def confirm_email(token: str):
    """The emailed link: the password chosen when registering finishes the account and signs in."""
    try:
        user, next_path = accounts.waiting_account(token)
    except ServiceError as exc:
        return render_template("auth/confirm.html", problem=exc.message), exc.status
    form = ConfirmEmailForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.confirm_email(token, form.password.data)
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            # The same browser still holds the booking choices kept before registering.
            _sign_in(user)
            flash("Your account is ready.", "success")
            return see_other(local_path(next_path) or _first_page(user))
    elif form.is_submitted():
        status = 422
    return render_template("auth/confirm.html", form=form, user=user), status


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
    return _settings_page(form, ChangePasswordForm(prefix="pw"), status)


@bp.post("/account/password")
@login_required
@_password_guesses
def change_password():
    form = ChangePasswordForm(prefix="pw")
    status = 422
    if form.validate_on_submit():
        remembered = sign_ins.was_remembered(current_user.get_sign_in_key())
        try:
            user = accounts.change_password(current_user.id, form.current_password.data, form.new_password.data)
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            # Every sign-in and API token ended with the old password; this browser gets a new one.
            _sign_in(user, remember=remembered)
            flash(
                "Your password is changed. Other devices are signed out and your API tokens no longer work.", "success"
            )
            return see_other(url_for("auth.settings"))
    return _settings_page(SettingsForm(obj=current_user), form, status)


def _settings_page(form: SettingsForm, password_form: ChangePasswordForm, status: int):
    guardian = guardians.status_of(current_user)
    return render_template("auth/settings.html", form=form, password_form=password_form, guardian=guardian), status


@bp.post("/account/guardian/resend")
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_GUARDIAN_RESEND"], key_func=per_user)
def resend_guardian_link():
    guardians.resend(current_user)
    flash("We emailed your parent or guardian the link again.", "success")
    return see_other(url_for("auth.settings"))


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
            outbox.send_password_reset(user)
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
