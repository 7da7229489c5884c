"""Admin oversight of recordings: every recording, its consent history and its access log."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ...services.video import recordings
from ..admin import admin_only
from ..api.io import pagination
from . import bp


@bp.get("/admin/recordings")
@admin_only
def admin_recordings():
    page, per_page = pagination()
    rows, total = recordings.all_recordings(current_user, page=page, per_page=per_page)
    return render_template("video/admin_recordings.html", rows=rows, total=total, page=page, per_page=per_page)


@bp.get("/admin/recordings/<int:recording_id>")
@admin_only
def admin_recording(recording_id: int):
    view = recordings.oversight(current_user, recording_id)
    grant = (
        recordings.grant_for(view.recording, user_id=current_user.id)
        if view.recording.status == recordings.READY
        else None
    )
    return render_template("video/admin_recording.html", view=view, grant=grant)
