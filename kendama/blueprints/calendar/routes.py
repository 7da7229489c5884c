"""GET /calendar/<token>.ics: authenticated by the secret in the URL (calendar apps send no cookies)."""

from __future__ import annotations

from flask import Response, current_app, request

from ...extensions import limiter
from ...services.calendars import feed as calendar_feed
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
