"""Admin pages for the trick catalog: the list by family with a search, and adding, renaming,
merging and retiring tricks (services/coaching/catalog.py holds the rules)."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ...services.coaching import catalog
from ...services.errors import Conflict, InvalidInput, ServiceError
from ..form_errors import apply_service_errors
from ..redirects import see_other
from . import bp
from .forms import AddTrickForm, MergeTrickForm, RenameTrickForm, RetireTrickForm

MAX_QUERY = 100


@bp.get("/tricks")
def tricks_page():
    return _page()


@bp.post("/tricks")
def add_trick():
    form = AddTrickForm()
    if form.validate_on_submit():
        try:
            trick = catalog.add_trick(
                current_user, form.name.data or "", form.level.data, form.family.data or "", form.alias_list()
            )
        except (InvalidInput, Conflict) as exc:
            _show_refusal(form, exc)
        else:
            family = catalog.FAMILY_LABELS[trick.family]
            flash(f"{trick.name} is in the catalog ({family}, level {trick.level}).", "success")
            return see_other(url_for("admin.tricks_page"))
    return _page(add_form=form), 422


@bp.post("/tricks/<int:trick_id>/rename")
def rename_trick(trick_id: int):
    form = RenameTrickForm()
    if form.validate_on_submit():
        try:
            trick = catalog.rename_trick(current_user, trick_id, form.name.data or "")
        except (InvalidInput, Conflict) as exc:
            _show_refusal(form, exc)
        else:
            flash(f"The trick is now called {trick.name}; searching for its old name still finds it.", "success")
            return see_other(url_for("admin.tricks_page"))
    return _page(failed=(trick_id, form)), 422


@bp.post("/tricks/<int:trick_id>/merge")
def merge_trick(trick_id: int):
    listing = catalog.listing()
    form = MergeTrickForm().for_trick(listing.trick(trick_id), listing.offered)
    if form.validate_on_submit():
        try:
            kept = catalog.merge_tricks(current_user, trick_id, form.into.data)
        except (InvalidInput, Conflict) as exc:
            _show_refusal(form, exc)
        else:
            flash(
                f"Merged into {kept.name}: its names now find {kept.name}, and its lessons, notes and progress "
                "are counted there.",
                "success",
            )
            return see_other(url_for("admin.tricks_page"))
    return _page(failed=(trick_id, form)), 422


@bp.post("/tricks/<int:trick_id>/retire")
def retire_trick(trick_id: int):
    form = RetireTrickForm()
    if form.validate_on_submit():
        trick = catalog.retire_trick(current_user, trick_id)
        flash(f"{trick.name} is retired: it is offered no more, and past lessons keep it.", "success")
        return see_other(url_for("admin.tricks_page"))
    return _page(failed=(trick_id, form)), 422


def _show_refusal(form: FlaskForm, exc: ServiceError) -> None:
    """The service's messages by their fields; a conflict's sentence too, as its field says only "Taken."."""
    apply_service_errors(form, exc)
    if exc.fields and not isinstance(exc, InvalidInput):
        form.form_errors.append(exc.message)


def _page(*, add_form: AddTrickForm | None = None, failed: tuple[int, FlaskForm] | None = None):
    """The catalog page; a form that was refused replaces its blank copy and shows its errors."""
    q = request.args.get("q", "")[:MAX_QUERY].strip()
    listing = catalog.listing(q)
    failed_id, failed_form = failed or (None, None)
    if isinstance(failed_form, RenameTrickForm):
        # 404 for a trick that does not exist; a retired one has no row, but its label still names it.
        failed_form.for_trick(listing.trick(failed_id))
    elif failed_id is not None:
        listing.trick(failed_id)

    def row_form(kind: type[FlaskForm], trick) -> FlaskForm:
        refused = trick.id == failed_id and isinstance(failed_form, kind)
        return failed_form if refused else kind(formdata=None)

    rows = {
        trick.id: {
            "rename": row_form(RenameTrickForm, trick).for_trick(trick),
            "merge": row_form(MergeTrickForm, trick).for_trick(trick, listing.offered),
        }
        for tricks in listing.active.values()
        for trick in tricks
    }
    return render_template(
        "admin/tricks.html",
        q=q,
        listing=listing,
        labels=catalog.FAMILY_LABELS,
        add_form=add_form or AddTrickForm(formdata=None),
        rows=rows,
        failed_id=failed_id,
        failed_form=add_form or failed_form,
    )
