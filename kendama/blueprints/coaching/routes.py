"""The fan's progress page and sharing choice, the player's progress form on the session page,
and the fan's practice clips (upload, delete, and the signed link that shows one)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from ...services.coaching import catalog, chapters, charts, clips, notes, progress
from ...services.errors import ServiceError
from ..redirects import see_other
from ..video.forms import ActionForm
from . import bp


@bp.get("/progress")
@login_required
def my_progress():
    tricks = progress.fan_progress(current_user)
    return render_template(
        "coaching/progress.html",
        tricks=tricks,
        suggestions=progress.next_tricks(tricks),
        charts=charts,
        action_form=ActionForm(),
    )


@bp.post("/progress/sharing")
@login_required
def progress_sharing():
    if not ActionForm().validate_on_submit():
        abort(400)
    shared = request.form.get("shared") == "yes"
    progress.set_sharing(current_user, shared)
    flash(
        "Every player you book can now see your progress."
        if shared
        else "Players now see only the progress they marked themselves.",
        "success",
    )
    return see_other(url_for("coaching.my_progress"))


@bp.post("/sessions/<int:session_id>/progress")
@login_required
def mark_progress(session_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    items = [
        progress.MarkIn(
            int(trick_id), request.form.get(f"state-{trick_id}", ""), request.form.get(f"note-{trick_id}", "")
        )
        for trick_id in request.form.getlist("trick")
        if trick_id.isdigit() and request.form.get(f"state-{trick_id}")
    ]
    try:
        progress.mark_progress(current_user, session_id, items)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(" ".join([exc.message, *exc.fields.values()]) if exc.fields else exc.message, "error")
    else:
        flash("Progress saved. The fan sees it on their progress page.", "success")
    return see_other(url_for("video.join", session_id=session_id) + "#progress-title")


# --- practice clips ---------------------------------------------------------------------------


@bp.post("/sessions/<int:session_id>/clips")
@login_required
def upload_clip(session_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    back = url_for("video.join", session_id=session_id) + "#clips-title"
    chosen = upload is not None and bool(upload.filename)
    try:
        clip = clips.upload_clip(
            current_user, session_id, upload.stream if chosen else None, upload.filename if chosen else ""
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise
        message = " ".join(exc.fields.values()) if exc.fields else exc.message
        if request.headers.get("X-Requested-With") == "clip-upload":  # clip-upload.js shows it in place
            return {"error": {"code": exc.code, "message": message}}, exc.status
        flash(message, "error")
        return see_other(back)
    if request.headers.get("X-Requested-With") == "clip-upload":
        # Without the fragment: a change of fragment alone would not load the page again.
        return {"id": clip.id, "next": url_for("video.join", session_id=session_id)}, 201
    flash(
        f"Your clip is uploaded ({clip.duration_seconds:.0f} seconds). The player can watch it before the lesson.",
        "success",
    )
    return see_other(back)


@bp.post("/sessions/<int:session_id>/clips/<int:clip_id>/delete")
@login_required
def delete_clip(session_id: int, clip_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        clips.delete_clip(current_user, session_id, clip_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash("The clip is deleted.", "success")
    return see_other(url_for("video.join", session_id=session_id) + "#clips-title")


@bp.get("/clips/<int:clip_id>/media")
def clip_media(clip_id: int):
    """A signed link: checked and logged, then a fresh storage link (or the file from the local folder)."""
    found = clips.open_clip(clip_id, request.args.get("sig", ""))
    if found.redirect_url:
        return redirect(found.redirect_url, code=302)
    response = send_file(found.local_path, mimetype=found.clip.content_type, conditional=True)
    response.headers["Cache-Control"] = "private, no-store"
    return response


CLIP_UPLOADS = frozenset({"coaching.upload_clip", "api.upload_clip"})


def allow_clip_bodies() -> None:
    """Raise the request size limit for clip uploads only, before CSRF reads the form."""
    if request.endpoint in CLIP_UPLOADS:
        request.max_content_length = current_app.config["CLIP_MAX_BYTES"] + 1024 * 1024


@bp.record_once
def _first_before_request(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, allow_clip_bodies)


# --- coach notes on the recording ---------------------------------------------------------------


def _moment(text: str) -> int | None:
    """ "7:42", "07:42", "1:02:03" or plain seconds; None when it is none of these."""
    parts = (text or "").strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


@bp.post("/sessions/<int:session_id>/notes")
@login_required
def add_note(session_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    back = url_for("video.recording_page", session_id=session_id) + "#notes-title"
    at = _moment(request.form.get("at", ""))
    trick = request.form.get("trick_id", "")
    try:
        notes.add_note(
            current_user,
            session_id,
            at,
            request.form.get("text", ""),
            int(trick) if trick.isdigit() else None,
            recording_id=request.form.get("recording_id", type=int),
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(" ".join(exc.fields.values()) if exc.fields else exc.message, "error")
    else:
        flash("Note saved. The fan sees it once you publish your notes.", "success")
    return see_other(back)


@bp.post("/sessions/<int:session_id>/notes/publish")
@login_required
def publish_notes(session_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        count = notes.publish_notes(current_user, session_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash(
            f"{count} note{'s' if count != 1 else ''} published; the fan gets an email."
            if count
            else "Nothing new to publish.",
            "success",
        )
    return see_other(url_for("video.recording_page", session_id=session_id) + "#notes-title")


@bp.post("/sessions/<int:session_id>/markers")
@login_required
def drop_marker(session_id: int):
    """The call screen's "note at 07:42" button (JSON for video-call.js; a redirect without it)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    in_place = request.headers.get("X-Requested-With") == "marker"  # video-call.js keeps the call on screen
    try:
        note = notes.add_note(current_user, session_id, None, request.form.get("text", ""), source="marker")
    except ServiceError as exc:
        if exc.status == 404:
            raise
        if in_place:
            return {"error": {"code": exc.code, "message": exc.message}}, exc.status
        flash(exc.message, "error")
        return see_other(url_for("video.join", session_id=session_id))
    label = chapters.at_label(note.at_seconds)
    if in_place:
        return {"id": note.id, "at_label": label}, 201
    flash(f"Marker at {label} saved; write the note on the recording page after the call.", "success")
    return see_other(url_for("video.join", session_id=session_id))


# --- the tricks a player teaches ----------------------------------------------------------------


@bp.route("/dashboard/tricks", methods=["GET", "POST"])
@login_required
def player_tricks():
    if not current_user.is_player:
        abort(404)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        chosen = [int(value) for value in request.form.getlist("trick") if value.isdigit()]
        try:
            catalog.set_player_tricks(current_user, chosen)
        except ServiceError as exc:
            flash(" ".join(exc.fields.values()) or exc.message, "error")
        else:
            flash("Your tricks are saved; fans can find you by them.", "success")
            return see_other(url_for("coaching.player_tricks"))
    families: dict[str, list] = {}
    for trick in catalog.active_tricks():
        families.setdefault(catalog.FAMILY_LABELS[trick.family], []).append(trick)
    taught = {trick.id for trick in catalog.tricks_of(current_user.id)}
    return render_template("coaching/player_tricks.html", families=families, taught=taught, action_form=form)
