"""The join page, consent, no-show and end-the-lesson forms, the recording page, share links and the signed file links."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import current_user, login_required

from ...services.booking import no_shows
from ...services.coaching import catalog, chapters, lesson
from ...services.coaching import notes as coach_notes
from ...services.errors import ServiceError
from ...services.notifications.links import absolute_url
from ...services.video import calls, recording_consent, recording_pages, recordings
from ..redirects import see_other
from . import bp
from .forms import ActionForm, ConsentForm, SharingForm

SHARE_NOTICE = "video_share_link"  # the new share URL, shown once after the redirect


@bp.after_request
def never_cache(response):
    # Call passes, signed links and the access log are per person and short-lived.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.get("/sessions/<int:session_id>/join")
@login_required
def join(session_id: int):
    # An email's join link carries a signed `t`; being signed in as a participant is what counts here.
    page = calls.call_page(current_user, session_id)
    form = ConsentForm(recording=page.consent.fan_recording if page.role == "fan" else page.consent.player_recording)
    form.sharing.data = page.consent.fan_sharing if page.role == "fan" else page.consent.player_sharing
    return render_template(
        "video/join.html",
        page=page,
        form=form,
        action_form=ActionForm(),
        sharing_form=SharingForm(),
        coaching=lesson.for_viewer(current_user, page.session),
    )


@bp.post("/sessions/<int:session_id>/consent")
@login_required
def consent(session_id: int):
    form = ConsentForm()
    back = url_for("video.join", session_id=session_id)
    if not form.validate_on_submit():
        flash("The form expired. Please try again.", "error")
        return see_other(back)
    try:
        state = recording_consent.set_consent(
            current_user, session_id, recording=form.recording.data, sharing=form.sharing.data
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.fields.get("sharing") or exc.message, "error")
        return see_other(back)
    flash("Your choice is saved." + (" This session will be recorded." if state.recording else ""), "success")
    return see_other(back)


@bp.post("/sessions/<int:session_id>/sharing")
@login_required
def sharing(session_id: int):
    form = SharingForm()
    page = "video.recording_page" if form.back.data == "recording" else "video.join"
    back = url_for(page, session_id=session_id)
    if not form.validate_on_submit():
        abort(400)
    try:
        state = recording_consent.set_sharing(current_user, session_id, allowed=form.allow.data)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.fields.get("sharing") or exc.message, "error")
        return see_other(back)
    if not form.allow.data:
        flash("You withdrew your permission to share; no share link works any more.", "success")
    elif state.sharing:
        flash("You allow sharing: the player can now share the recording with a link.", "success")
    else:
        flash("You allow sharing. The recording can be shared once the other participant allows it too.", "success")
    return see_other(back)


@bp.post("/sessions/<int:session_id>/no-show")
@login_required
def no_show(session_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        calls.mark_no_show(current_user, session_id, request.form.get("statement", ""))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return see_other(url_for("video.join", session_id=session_id))
    flash("Marked: the fan did not come.", "success")
    return see_other(url_for("dashboard.index"))


@bp.post("/sessions/<int:session_id>/player-no-show")
@login_required
def report_player_absent(session_id: int):
    """The fan's "the player did not come"."""
    return _no_show_step(
        session_id,
        lambda statement: no_shows.report_player_absent(current_user, session_id, statement),
        "Reported. The player can dispute it; if they do not, you get a full refund, and we email you either way.",
    )


@bp.post("/sessions/<int:session_id>/no-show/dispute")
@login_required
def dispute_no_show(session_id: int):
    """The player's answer to the fan's report."""
    return _no_show_step(
        session_id,
        lambda statement: no_shows.dispute(current_user, session_id, statement),
        "Disputed. Our team looks at what you both wrote and at who joined the call, and emails you both.",
    )


def _no_show_step(session_id: int, step, done: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        step(request.form.get("statement", ""))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(" ".join([exc.message, *exc.fields.values()]) if exc.fields else exc.message, "error")
    else:
        flash(done, "success")
    return see_other(url_for("video.join", session_id=session_id, _anchor="no-show-title"))


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_lesson(session_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        calls.end_lesson(current_user, session_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash("The lesson has ended. The call is closed for both of you.", "success")
    return see_other(url_for("video.join", session_id=session_id))


@bp.get("/sessions/<int:session_id>/recording")
@login_required
def recording_page(session_id: int):
    page = recording_pages.for_viewer(current_user, session_id)
    notice = cookie_session.pop(SHARE_NOTICE, None)
    new_link = notice["url"] if notice and notice.get("session_id") == session_id else None
    return render_template(
        "video/recording.html",
        page=page,
        new_link=new_link,
        action_form=ActionForm(),
        sharing_form=SharingForm(),
        notes=coach_notes.notes_for_viewer(current_user, session_id),
        at_label=chapters.at_label,
        tricks=catalog.active_tricks() if page.is_player else [],
    )


@bp.post("/sessions/<int:session_id>/recording/share")
@login_required
def share(session_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        _link, raw = recordings.create_share_link(current_user, session_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        cookie_session[SHARE_NOTICE] = {
            "session_id": session_id,
            "url": absolute_url("video.shared_recording", token=raw),
        }
        flash("A new share link is ready; any earlier link no longer works.", "success")
    return see_other(url_for("video.recording_page", session_id=session_id))


@bp.post("/sessions/<int:session_id>/recording/share/revoke")
@login_required
def revoke_share(session_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    count = recordings.revoke_share_links(current_user, session_id)
    flash("The share link no longer works." if count else "There was no live share link.", "success")
    return see_other(url_for("video.recording_page", session_id=session_id))


@bp.get("/sessions/<int:session_id>/recording/chapters.vtt")
@login_required
def recording_chapters(session_id: int):
    """Coach notes as a chapters track (?recording= names a part; the main one otherwise)."""
    text = chapters.chapters_for_viewer(current_user, session_id, request.args.get("recording", type=int))
    return current_app.response_class(text, mimetype="text/vtt")


@bp.get("/recordings/<int:recording_id>/media")
def recording_media(recording_id: int):
    """A signed view or download link: logged, then redirected to a fresh provider link.

    Redirecting (not streaming) keeps video bytes off our workers; the provider's link is
    short-lived and asked for at this moment, never stored.
    """
    return redirect(recordings.media_link(recording_id, request.args.get("sig", "")), code=302)


@bp.get("/recordings/<int:recording_id>/captions.vtt")
def recording_captions(recording_id: int):
    """Captions from our own origin, as <track> needs."""
    text = recordings.captions(recording_id, request.args.get("sig", ""))
    return current_app.response_class(text, mimetype="text/vtt")


@bp.get("/recordings/shared")
def shared_recording():
    """A share link's page: no account needed while the link is live and sharing is still allowed."""
    view = recordings.shared_view(request.args.get("token", ""))
    response = current_app.make_response(render_template("video/shared.html", view=view))
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    return response
