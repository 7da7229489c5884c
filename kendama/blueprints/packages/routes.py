"""Thin views over services/payments/packages.py and credits.py."""

from __future__ import annotations

from flask import abort, flash, render_template, url_for
from flask_login import current_user, login_required

from ...services.errors import InvalidInput, ServiceError
from ...services.payments import credits, packages
from ...services.payments.money import format_amount, from_minor_units, to_minor_units
from ..form_errors import apply_service_errors
from ..redirects import see_other
from ..video.forms import ActionForm
from . import bp
from .forms import ROWS, PackagesForm

# --- Buying -------------------------------------------------------------------------------


@bp.post("/packages/<int:package_id>/buy")
@login_required
def buy(package_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    payment = packages.start_purchase(current_user, package_id)
    return see_other(payment.checkout_url)


@bp.get("/packages/purchases/<int:purchase_id>")
@login_required
def purchase_return(purchase_id: int):
    """Stripe's success and cancel URL: the purchase as it is (the webhook may come a moment later)."""
    purchase = packages.purchase_for(current_user, purchase_id)
    return render_template("packages/return.html", purchase=purchase)


@bp.get("/packages/purchases/<int:purchase_id>/status")
@login_required
def purchase_status(purchase_id: int):
    purchase = packages.purchase_for(current_user, purchase_id)
    return render_template("packages/_status.html", purchase=purchase)


# --- The fan's credits --------------------------------------------------------------------


@bp.get("/dashboard/credits")
@login_required
def credits_page():
    balances = credits.balances(current_user)
    quotes = {b.purchase.id: packages.refund_quote(b.purchase, b.available) for b in balances}
    return render_template("packages/credits.html", balances=balances, quotes=quotes)


@bp.post("/packages/purchases/<int:purchase_id>/refund")
@login_required
def refund(purchase_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        given = packages.refund_unused(current_user, purchase_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash(f"Refund of {format_amount(given.amount, given.currency)} on its way to your card.", "success")
    return see_other(url_for("packages.credits_page"))


# --- The player's packages ----------------------------------------------------------------


@bp.route("/dashboard/packages", methods=["GET", "POST"])
@login_required
def edit_packages():
    offer = packages.player_offer(current_user)
    form = PackagesForm()
    for _, duration, _ in form.rows():
        duration.choices = [(minutes, f"{minutes} minutes") for minutes in offer.paid_lengths]
    if not form.is_submitted():
        _fill(form, offer.packages, offer.currency)
    status = 200
    if form.validate_on_submit():
        rows: list[int] = []
        try:
            rows, items = _items(form, offer.currency)
            packages.set_packages(current_user, items)
        except InvalidInput as exc:
            apply_service_errors(form, _row_errors(exc, rows))
            status = 422
        else:
            flash("Your packages are saved.", "success")
            return see_other(url_for("packages.edit_packages"))
    elif form.is_submitted():
        status = 422
    offer = packages.player_offer(current_user)
    return render_template("packages/edit.html", form=form, offer=offer), status


def _fill(form: PackagesForm, offers: list[packages.PackageOffer], currency: str) -> None:
    for (lessons, duration, price), offer in zip(form.rows(), offers[:ROWS], strict=False):
        lessons.data = offer.lessons
        duration.data = offer.duration_minutes
        price.data = from_minor_units(offer.price_amount, currency)


def _items(form: PackagesForm, currency: str) -> tuple[list[int], list[packages.PackageInput]]:
    """The filled rows (their numbers, and what they hold); a price that is not money is refused at its field."""
    rows, items, problems = [], [], {}
    for number, (lessons, duration, price) in enumerate(form.rows(), start=1):
        if not lessons.data and not (price.data or "").strip():
            continue
        try:
            amount = to_minor_units(price.data or "", currency)
        except ValueError:
            problems[price.name] = "Enter the price as a number, such as 90 or 90.50."
            continue
        rows.append(number)
        items.append(packages.PackageInput(lessons.data or 0, duration.data or 0, amount))
    if problems:
        raise InvalidInput(problems, "Some packages need attention.")
    return rows, items


def _row_errors(exc: InvalidInput, rows: list[int]) -> InvalidInput:
    """The service names the packages it was given from 0 ("0.price_amount"); the form's fields are
    named by row (price_2 when the first row was left empty)."""
    names = {"lessons": "lessons", "duration_minutes": "duration", "price_amount": "price"}
    fields = {}
    for name, message in exc.fields.items():
        index, _, part = name.partition(".")
        fields[f"{names[part]}_{rows[int(index)]}" if part else name] = message
    return InvalidInput(fields, exc.message)
