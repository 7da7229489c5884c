"""Joining and leaving a player's waitlist for a day (services/booking/waitlist.py holds the rules)."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user, login_required

from ...services.booking import waitlist
from ...services.errors import ServiceError
from ...services.timezones import for_person, parse_day
from ...web.template_helpers import viewer_zone
from ..redirects import see_other
from ..video.forms import ActionForm
from . import bp


@bp.post("/players/<int:player_id>/waitlist")
@login_required
def join_waitlist(player_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    duration = request.form.get("duration", type=int)
    day = parse_day(request.form.get("day"))
    back = url_for("booking.book", player_id=player_id, duration=duration)
    if day is None:
        flash("Choose a day for the waitlist.", "error")
        return see_other(back)
    try:
        entry = waitlist.join(current_user, player_id, day, duration or 0, viewer_zone())
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(" ".join(exc.fields.values()) if exc.fields else exc.message, "error")
        return see_other(back)
    when = for_person(waitlist.day_range(entry.day, entry.zone)[0], entry.zone, "%A %d %B")
    flash(
        f"You are on the waitlist for {when}, number {waitlist.position(entry)} in line. If a time opens that day, "
        f"we email you and hold it for you for a few minutes.",
        "success",
    )
    return see_other(back)


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def leave_waitlist(entry_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    waitlist.leave(current_user, entry_id)
    flash("You left the waitlist.", "success")
    return see_other(url_for("dashboard.index"))
