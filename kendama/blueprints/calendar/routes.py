"""GET /calendar/<token>.ics: authenticated by the secret in the URL (calendar apps send no cookies).

GET /sessions/<id>/calendar.ics: one session's invitation, downloaded by a signed-in participant.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_login import current_user, login_required

from ...extensions import limiter
from ...services.calendars import feed as calendar_feed
from ...services.calendars import ics
from . import bp


@bp.get("/calendar/<token>.ics")
@limiter.limit(lambda: current_app.config["RATELIMIT_CALENDAR_FEED"])
def feed(token: str):
    body = calendar_feed.feed_for_token(token)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="kendama-sessions.ics"'
    # Private (no shared cache may keep it); revalidated by ETag so polling clients stay cheap.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/sessions/<int:session_id>/calendar.ics")
@login_required
def session_invitation(session_id: int):
    body = ics.invitation_for_participant(current_user, session_id)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="kendama-session-{session_id}.ics"'
    # Names and email addresses of both participants: no shared cache may keep it.
    response.headers["Cache-Control"] = "private, no-store"
    return response
