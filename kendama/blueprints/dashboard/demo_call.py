"""The player's "Start a test call now" on the demo (development only; 404 elsewhere)."""

from __future__ import annotations

from flask import flash, url_for
from flask_login import current_user, login_required

from ...services.errors import ServiceError
from ...services.video import demo_calls
from ..redirects import see_other
from . import bp


@bp.post("/test-call")
@login_required
def start_test_call():
    try:
        session = demo_calls.start_test_call(current_user)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return see_other(url_for("dashboard.index"))
    flash(
        f"Your test call with {session.fan.display_name} is open now. To be the fan too, sign in as "
        f"{session.fan.email} in a private window and press Join the call on that dashboard.",
        "success",
    )
    return see_other(url_for("video.join", session_id=session.id))
