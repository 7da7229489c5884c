"""Who gets what: every route of the app, for each kind of visitor, with real objects.

The table below has one row per route and method (walked from app.url_map, so a new route
without a row fails `test_every_route_has_a_row`). Each row names the request (the path filled
with ids of the world built by `world()`, and a body for writes) and the status each visitor
gets: anonymous, the fan of the session, another fan, its player, another player, an admin.

Conventions the table pins down:
- anonymous HTML pages redirect to the sign-in page (302); the anonymous API answers 401;
- what belongs to a session's participants is 404 for everyone else (they may not learn it
  exists); admin pages are 404 for non-admins;
- a write by someone allowed gets past authorization and is done (200, 201, 303) or meets the
  rules or the form check (409, 422; 403 where the role may look but not act, e.g. an admin
  joining a call), while the same write by a stranger is 404 before any rule is looked at;
- capability links (a calendar feed token, a signed captions link, a recording share link) work
  for whoever holds them, signed in or not: the token is the permission, and it is short-lived
  or revocable (their tampering and expiry are tested in test_security_checks.py and
  test_video_recordings.py).

Every request runs inside a savepoint that is rolled back afterwards, so the writes of one cell
never change what the next one sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import (
    CoachNote,
    GuardianConsent,
    NoShowReport,
    PracticeClip,
    Refund,
    Review,
    SessionRecording,
    Trick,
    User,
    WaitlistEntry,
    utcnow,
)
from kendama.services.accounts import api_tokens, guardians, sign_ins

from ..support.booking_helpers import mark_paid, weekday_at
from ..support.factories import PASSWORD, AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory
from ..support.package_helpers import paid_purchase

pytestmark = pytest.mark.both_databases

ROLES = ("anonymous", "fan", "other_fan", "player", "other_player", "admin")

# Not part of the matrix, with the reason.
EXCLUDED_PREFIXES = {
    "/_sandbox/": "offline stand-ins for Stripe and Daily; they speak the providers' own auth "
    "(API key, hosted pages) and are refused where sandboxes are not allowed (tested per sandbox)",
    "/webhooks/": "server to server, authenticated by signature (forgery and replay tested in "
    "payments/test_checkout.py and test_video_recordings.py; see docs/security.md)",
    "/static/": "public files",
}


@dataclass(frozen=True)
class Row:
    """One route: the request to send and the status per role (in ROLES order)."""

    path: str
    statuses: tuple[int, int, int, int, int, int]
    form: dict | None = None  # HTML form fields (the CSRF token is added)
    json: dict | None = field(default=None)


def row(path: str, anonymous, fan, other_fan, player, other_player, admin, *, form=None, json=None) -> Row:
    return Row(path, (anonymous, fan, other_fan, player, other_player, admin), form=form, json=json)


# fmt: off
# (method, rule):                       row(path, anonymous, fan, other fan, player, other player, admin)
MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/"): row("/", 200, 200, 200, 200, 200, 200),
    ("GET", "/account"): row("/account", 302, 200, 200, 200, 200, 200),
    ("POST", "/account"): row("/account", 302, 303, 303, 303, 303, 303, form={}),
    ("POST", "/account/calendar-token"): row("/account/calendar-token", 302, 303, 303, 303, 303, 303, form={}),
    ("POST", "/account/password"): row("/account/password", 302, 422, 422, 422, 422, 422, form={}),
    ("POST", "/account/sign-out-everywhere"): row("/account/sign-out-everywhere", 302, 303, 303, 303, 303, 303, form={}),
    ("GET", "/admin/"): row("/admin/", 302, 404, 404, 404, 404, 200),
    ("GET", "/admin/feedback"): row("/admin/feedback", 302, 404, 404, 404, 404, 200),
    ("GET", "/admin/feedback.csv"): row("/admin/feedback.csv", 302, 404, 404, 404, 404, 200),
    ("POST", "/admin/reviews/<int:review_id>/hide"): row("/admin/reviews/{review}/hide", 302, 404, 404, 404, 404, 303, form={"reason": "Matrix"}),
    # Not hidden: the admin is told so (a flash) and sent back.
    ("POST", "/admin/reviews/<int:review_id>/unhide"): row("/admin/reviews/{review}/unhide", 302, 404, 404, 404, 404, 303, form={}),
    ("GET", "/admin/no-shows"): row("/admin/no-shows", 302, 404, 404, 404, 404, 200),
    ("POST", "/admin/no-shows/<int:report_id>/resolve"): row("/admin/no-shows/{no_show}/resolve", 302, 404, 404, 404, 404, 422, form={}),
    ("GET", "/admin/notifications"): row("/admin/notifications", 302, 404, 404, 404, 404, 200),
    ("POST", "/admin/notifications/<int:notification_id>/retry"): row("/admin/notifications/{notification}/retry", 302, 404, 404, 404, 404, 303, form={}),
    ("GET", "/admin/payments"): row("/admin/payments", 302, 404, 404, 404, 404, 200),
    ("GET", "/admin/payments/refunds"): row("/admin/payments/refunds", 302, 404, 404, 404, 404, 200),
    ("POST", "/admin/payments/refunds/<int:refund_id>/retry"): row("/admin/payments/refunds/{refund}/retry", 302, 404, 404, 404, 404, 303, form={}),
    ("POST", "/admin/players/<int:player_id>/verify"): row("/admin/players/{pending}/verify", 302, 404, 404, 404, 404, 303, form={"decision": "approve"}),
    ("GET", "/admin/recordings"): row("/admin/recordings", 302, 404, 404, 404, 404, 200),
    ("GET", "/admin/recordings/<int:recording_id>"): row("/admin/recordings/{recording}", 302, 404, 404, 404, 404, 200),
    ("GET", "/admin/rollout"): row("/admin/rollout", 302, 404, 404, 404, 404, 200),
    ("POST", "/admin/rollout/allowlist"): row("/admin/rollout/allowlist", 302, 404, 404, 404, 404, 303, form={}),
    ("POST", "/admin/rollout/allowlist/<int:user_id>/remove"): row("/admin/rollout/allowlist/{fan}/remove", 302, 404, 404, 404, 404, 303, form={}),
    ("POST", "/admin/rollout/state"): row("/admin/rollout/state", 302, 404, 404, 404, 404, 422, form={}),
    ("GET", "/admin/sessions"): row("/admin/sessions", 302, 404, 404, 404, 404, 200),
    ("GET", "/admin/tricks"): row("/admin/tricks", 302, 404, 404, 404, 404, 200),
    ("POST", "/admin/tricks"): row("/admin/tricks", 302, 404, 404, 404, 404, 422, form={}),
    ("POST", "/admin/tricks/<int:trick_id>/merge"): row("/admin/tricks/{trick}/merge", 302, 404, 404, 404, 404, 422, form={}),
    ("POST", "/admin/tricks/<int:trick_id>/rename"): row("/admin/tricks/{trick}/rename", 302, 404, 404, 404, 404, 422, form={}),
    ("POST", "/admin/tricks/<int:trick_id>/retire"): row("/admin/tricks/{trick}/retire", 302, 404, 404, 404, 404, 303, form={}),
    ("POST", "/api/admin/players/<int:player_id>/verify"): row("/api/admin/players/{pending}/verify", 401, 403, 403, 403, 403, 200, json={}),
    ("GET", "/api/openapi.json"): row("/api/openapi.json", 200, 200, 200, 200, 200, 200),
    ("GET", "/api/players"): row("/api/players", 200, 200, 200, 200, 200, 200),
    ("GET", "/api/players/<int:player_id>"): row("/api/players/{player}", 200, 200, 200, 200, 200, 200),
    ("GET", "/api/sessions"): row("/api/sessions", 401, 200, 200, 200, 200, 200),
    ("POST", "/api/sessions"): row("/api/sessions", 401, 201, 201, 422, 201, 403, json={"player_id": "{player}", "start": "{slot}", "duration_minutes": 30}),
    ("GET", "/api/sessions/<int:session_id>"): row("/api/sessions/{upcoming}", 401, 200, 404, 200, 404, 200),
    ("PUT", "/api/sessions/<int:session_id>"): row("/api/sessions/{upcoming}", 401, 200, 404, 200, 404, 200, json={"action": "cancel", "reason": "matrix"}),
    ("GET", "/api/sessions/<int:session_id>/consent"): row("/api/sessions/{upcoming}/consent", 401, 200, 404, 200, 404, 200),
    ("POST", "/api/sessions/<int:session_id>/consent"): row("/api/sessions/{upcoming}/consent", 401, 200, 404, 200, 404, 403, json={"recording": True}),
    ("POST", "/api/sessions/<int:session_id>/end"): row("/api/sessions/{upcoming}/end", 401, 403, 404, 409, 404, 403, json={}),
    ("GET", "/api/tricks"): row("/api/tricks?q=cup", 200, 200, 200, 200, 200, 200),
    ("PUT", "/api/sessions/<int:session_id>/progress"): row("/api/sessions/{past}/progress", 401, 403, 404, 422, 404, 403, json={"items": []}),
    ("GET", "/api/users/me/progress"): row("/api/users/me/progress", 401, 200, 200, 200, 200, 200),
    ("GET", "/api/sessions/<int:session_id>/notes"): row("/api/sessions/{past}/notes", 401, 200, 404, 200, 404, 200),
    ("POST", "/api/sessions/<int:session_id>/notes"): row("/api/sessions/{past}/notes", 401, 403, 404, 201, 404, 403, json={"at_seconds": 5, "text": "Matrix"}),
    ("POST", "/api/sessions/<int:session_id>/markers"): row("/api/sessions/{past}/markers", 401, 403, 404, 409, 404, 403, json={}),
    ("POST", "/api/sessions/<int:session_id>/notes/publish"): row("/api/sessions/{past}/notes/publish", 401, 403, 404, 200, 404, 403, json={}),
    ("DELETE", "/api/sessions/<int:session_id>/notes/<int:note_id>"): row("/api/sessions/{past}/notes/{note}", 401, 403, 404, 204, 404, 403),
    ("POST", "/api/sessions/<int:session_id>/feedback"): row("/api/sessions/{past}/feedback", 401, 409, 404, 201, 404, 403, json={"rating": 4}),
    # The fan reviewed the past lesson already (409); its player and admins may not review it.
    ("POST", "/api/sessions/<int:session_id>/review"): row("/api/sessions/{past}/review", 401, 409, 404, 403, 404, 403, json={"rating": 4, "text": "Matrix", "public": True}),
    ("PATCH", "/api/sessions/<int:session_id>/review"): row("/api/sessions/{past}/review", 401, 200, 404, 403, 404, 403, json={"rating": 4}),
    ("GET", "/api/players/<int:player_id>/reviews"): row("/api/players/{player}/reviews", 200, 200, 200, 200, 200, 200),
    # A public review: everyone may know it exists; only its player replies, and its author does not report it.
    ("POST", "/api/reviews/<int:review_id>/reply"): row("/api/reviews/{review}/reply", 401, 403, 403, 201, 403, 403, json={"text": "Thanks"}),
    ("POST", "/api/reviews/<int:review_id>/report"): row("/api/reviews/{review}/report", 401, 403, 201, 201, 201, 201, json={}),
    ("POST", "/api/admin/reviews/<int:review_id>/hide"): row("/api/admin/reviews/{review}/hide", 401, 403, 403, 403, 403, 200, json={"reason": "Matrix"}),
    ("POST", "/api/admin/reviews/<int:review_id>/unhide"): row("/api/admin/reviews/{review}/unhide", 401, 403, 403, 403, 403, 409, json={}),
    ("POST", "/api/sessions/<int:session_id>/join"): row("/api/sessions/{upcoming}/join", 401, 409, 404, 409, 404, 403, json={}),
    ("POST", "/api/sessions/<int:session_id>/no-show"): row("/api/sessions/{upcoming}/no-show", 401, 409, 404, 409, 404, 403, json={}),
    ("POST", "/api/sessions/<int:session_id>/no-show/dispute"): row("/api/sessions/{upcoming}/no-show/dispute", 401, 403, 404, 409, 404, 403, json={"statement": "Matrix"}),
    ("POST", "/api/admin/no-shows/<int:report_id>/resolve"): row("/api/admin/no-shows/{no_show}/resolve", 401, 403, 403, 403, 403, 200, json={"decision": "reject", "note": "Matrix"}),
    ("GET", "/api/sessions/<int:session_id>/recording"): row("/api/sessions/{past}/recording", 401, 200, 404, 200, 404, 200),
    ("DELETE", "/api/sessions/<int:session_id>/recording/share"): row("/api/sessions/{past}/recording/share", 401, 403, 404, 200, 404, 403),
    ("POST", "/api/sessions/<int:session_id>/recording/share"): row("/api/sessions/{past}/recording/share", 401, 403, 404, 201, 404, 403, json={}),
    ("POST", "/api/tokens"): row("/api/tokens", 422, 422, 422, 422, 422, 422, json={}),
    ("DELETE", "/api/tokens/current"): row("/api/tokens/current", 401, 204, 204, 204, 204, 204),
    ("POST", "/api/users"): row("/api/users", 422, 422, 422, 422, 422, 422, json={}),
    ("GET", "/api/users/<int:player_id>/availability"): row("/api/users/{player}/availability", 200, 200, 200, 200, 200, 200),
    ("GET", "/api/users/me"): row("/api/users/me", 401, 200, 200, 200, 200, 200),
    ("PUT", "/api/users/me/password"): row("/api/users/me/password", 401, 422, 422, 422, 422, 422, json={}),
    ("GET", "/api/users/me/availability"): row("/api/users/me/availability", 401, 403, 403, 200, 200, 403),
    ("PUT", "/api/users/me/availability"): row("/api/users/me/availability", 401, 403, 403, 200, 200, 403, json={"timezone": "Europe/Prague", "weekly": [{"weekday": 0, "start": "09:00", "end": "12:00"}], "buffer_minutes": 0, "min_notice_minutes": 60, "max_days_ahead": 30}),
    ("GET", "/api/users/me/calendar-connection"): row("/api/users/me/calendar-connection", 401, 403, 403, 404, 404, 403),
    ("PUT", "/api/users/me/calendar-connection"): row("/api/users/me/calendar-connection", 401, 403, 403, 422, 422, 403, json={}),
    ("DELETE", "/api/users/me/calendar-connection"): row("/api/users/me/calendar-connection", 401, 403, 403, 404, 404, 403),
    ("GET", "/api/users/me/profile"): row("/api/users/me/profile", 401, 403, 403, 200, 200, 403),
    ("PUT", "/api/users/me/profile"): row("/api/users/me/profile", 401, 403, 403, 200, 200, 403, json={"bio": "Matrix"}),
    ("GET", "/calendar/<token>.ics"): row("/calendar/{calendar_token}.ics", 200, 200, 200, 200, 200, 200),
    ("GET", "/dashboard/"): row("/dashboard/", 302, 200, 200, 200, 200, 200),
    ("GET", "/dashboard/availability"): row("/dashboard/availability", 302, 403, 403, 200, 200, 403),
    ("POST", "/dashboard/availability"): row("/dashboard/availability", 302, 403, 403, 422, 422, 403, form={}),
    ("GET", "/dashboard/calendar"): row("/dashboard/calendar", 302, 403, 403, 200, 200, 403),
    ("POST", "/dashboard/calendar"): row("/dashboard/calendar", 302, 403, 403, 422, 422, 403, form={}),
    ("POST", "/dashboard/calendar/remove"): row("/dashboard/calendar/remove", 302, 403, 403, 303, 303, 403, form={}),
    ("GET", "/dashboard/calendar/caldav"): row("/dashboard/calendar/caldav", 302, 403, 403, 200, 200, 403),
    ("POST", "/dashboard/calendar/caldav"): row("/dashboard/calendar/caldav", 302, 403, 403, 422, 422, 403, form={}),
    ("POST", "/dashboard/calendar/caldav/calendars"): row("/dashboard/calendar/caldav/calendars", 302, 403, 403, 303, 303, 403, form={}),
    ("POST", "/dashboard/calendar/caldav/disconnect"): row("/dashboard/calendar/caldav/disconnect", 302, 403, 403, 303, 303, 403, form={}),
    ("GET", "/dashboard/calendar/status"): row("/dashboard/calendar/status", 302, 403, 403, 200, 200, 403),
    ("GET", "/dashboard/earnings"): row("/dashboard/earnings", 302, 403, 403, 200, 200, 403),
    ("GET", "/dashboard/payouts"): row("/dashboard/payouts", 302, 403, 403, 200, 200, 403),
    ("POST", "/dashboard/payouts/onboarding"): row("/dashboard/payouts/onboarding", 302, 403, 403, 303, 303, 403, form={}),
    ("GET", "/dashboard/payouts/refresh"): row("/dashboard/payouts/refresh", 302, 403, 403, 303, 303, 403),
    ("GET", "/dashboard/payouts/return"): row("/dashboard/payouts/return", 302, 403, 403, 303, 303, 403),
    ("POST", "/dashboard/payouts/stripe-dashboard"): row("/dashboard/payouts/stripe-dashboard", 302, 403, 403, 303, 409, 403, form={}),
    ("POST", "/dashboard/payouts/sync"): row("/dashboard/payouts/sync", 302, 403, 403, 303, 303, 403, form={}),
    ("GET", "/dashboard/profile"): row("/dashboard/profile", 302, 403, 403, 200, 200, 403),
    ("POST", "/dashboard/profile"): row("/dashboard/profile", 302, 403, 403, 422, 422, 403, form={}),
    ("GET", "/dashboard/sessions/<int:session_id>/cancel"): row("/dashboard/sessions/{upcoming}/cancel", 302, 200, 404, 200, 404, 200),
    ("POST", "/dashboard/sessions/<int:session_id>/cancel"): row("/dashboard/sessions/{upcoming}/cancel", 302, 303, 404, 303, 404, 303, form={}),
    ("POST", "/dashboard/sessions/<int:session_id>/feedback"): row("/dashboard/sessions/{past}/feedback", 302, 409, 404, 303, 404, 403, form={"rating": "4"}),
    ("POST", "/dashboard/sessions/<int:session_id>/review"): row("/dashboard/sessions/{past}/review", 302, 409, 404, 403, 404, 403, form={"rating": "4", "visibility": "public"}),
    ("POST", "/dashboard/sessions/<int:session_id>/review/edit"): row("/dashboard/sessions/{past}/review/edit", 302, 303, 404, 403, 404, 403, form={"rating": "4", "visibility": "public"}),
    ("POST", "/dashboard/reviews/<int:review_id>/reply"): row("/dashboard/reviews/{review}/reply", 302, 403, 403, 303, 403, 403, form={"text": "Thanks"}),
    ("GET", "/dashboard/sessions/<int:session_id>/receipt"): row("/dashboard/sessions/{upcoming}/receipt", 302, 200, 404, 404, 404, 200),
    ("GET", "/dashboard/sessions/<int:session_id>/reschedule"): row("/dashboard/sessions/{upcoming}/reschedule", 302, 200, 404, 200, 404, 403),
    ("POST", "/dashboard/sessions/<int:session_id>/reschedule"): row("/dashboard/sessions/{upcoming}/reschedule", 302, 303, 404, 303, 404, 403, form={"start": "{slot}"}),
    ("GET", "/dashboard/sessions/<int:session_id>/reschedule/days"): row("/dashboard/sessions/{upcoming}/reschedule/days", 302, 200, 404, 200, 404, 403),
    ("GET", "/dashboard/sessions/<int:session_id>/reschedule/slots"): row("/dashboard/sessions/{upcoming}/reschedule/slots?day={day}", 302, 200, 404, 200, 404, 403),
    ("POST", "/dashboard/test-call"): row("/dashboard/test-call", 302, 404, 404, 404, 404, 404, form={}),
    # The development outbox viewer exists only in development (DEV_MAIL_PAGES).
    ("GET", "/dev/mail/"): row("/dev/mail/", 404, 404, 404, 404, 404, 404),
    ("GET", "/dev/mail/<key>"): row("/dev/mail/x", 404, 404, 404, 404, 404, 404),
    ("GET", "/dev/mail/<key>/attachments/<int:index>"): row("/dev/mail/x/attachments/0", 404, 404, 404, 404, 404, 404),
    ("GET", "/dev/mail/<key>/html"): row("/dev/mail/x/html", 404, 404, 404, 404, 404, 404),
    ("GET", "/favicon.ico"): row("/favicon.ico", 200, 200, 200, 200, 200, 200),
    ("GET", "/healthz"): row("/healthz", 200, 200, 200, 200, 200, 200),
    ("GET", "/login"): row("/login", 200, 303, 303, 303, 303, 303),
    ("POST", "/login"): row("/login", 422, 303, 303, 303, 303, 303, form={}),
    ("POST", "/logout"): row("/logout", 303, 303, 303, 303, 303, 303, form={}),
    ("GET", "/password/forgot"): row("/password/forgot", 200, 200, 200, 200, 200, 200),
    ("POST", "/password/forgot"): row("/password/forgot", 422, 422, 422, 422, 422, 422, form={}),
    ("GET", "/password/reset/<token>"): row("/password/reset/{reset_token}", 200, 200, 200, 200, 200, 200),
    ("POST", "/password/reset/<token>"): row("/password/reset/{reset_token}", 422, 422, 422, 422, 422, 422, form={}),
    ("GET", "/players"): row("/players", 200, 200, 200, 200, 200, 200),
    ("GET", "/players/<int:player_id>"): row("/players/{player}", 200, 200, 200, 200, 200, 200),
    ("GET", "/players/<int:player_id>/avatar"): row("/players/{player}/avatar", 404, 404, 404, 404, 404, 404),
    ("GET", "/players/<int:player_id>/book"): row("/players/{player}/book", 200, 200, 200, 200, 200, 200),
    ("POST", "/players/<int:player_id>/book"): row("/players/{player}/book", 303, 303, 303, 422, 303, 403, form={"start": "{slot}", "duration": "30"}),
    ("GET", "/players/<int:player_id>/book/days"): row("/players/{player}/book/days", 200, 200, 200, 200, 200, 200),
    ("GET", "/players/<int:player_id>/book/slots"): row("/players/{player}/book/slots?day={day}", 200, 200, 200, 200, 200, 200),
    ("POST", "/reviews/<int:review_id>/report"): row("/reviews/{review}/report", 302, 403, 303, 303, 303, 303, form={}),
    ("GET", "/policy"): row("/policy", 200, 200, 200, 200, 200, 200),
    # Ready for everyone when the schema is migrated (the embedded default; see SCHEMA_BUILT_BY_MODELS).
    ("GET", "/readyz"): row("/readyz", 200, 200, 200, 200, 200, 200),
    ("GET", "/recordings/<int:recording_id>/captions.vtt"): row("/recordings/{recording}/captions.vtt?sig={captions_sig}", 200, 200, 200, 200, 200, 200),
    # Without a signature nobody gets the video, whoever they are.
    ("GET", "/recordings/<int:recording_id>/media"): row("/recordings/{recording}/media", 403, 403, 403, 403, 403, 403),
    ("GET", "/recordings/shared"): row("/recordings/shared?token={share_token}", 200, 200, 200, 200, 200, 200),
    ("GET", "/register"): row("/register", 200, 200, 200, 200, 200, 200),
    ("POST", "/register"): row("/register", 422, 422, 422, 422, 422, 422, form={}),
    # The emailed link of an account waiting for it: whoever holds it (and the password) finishes it.
    ("GET", "/register/confirm/<token>"): row("/register/confirm/{confirm_token}", 200, 200, 200, 200, 200, 200),
    ("POST", "/register/confirm/<token>"): row("/register/confirm/{confirm_token}", 303, 303, 303, 303, 303, 303, form={"password": "{waiting_password}"}),
    ("GET", "/register/sent"): row("/register/sent", 200, 200, 200, 200, 200, 200),
    ("GET", "/sessions/<int:session_id>/booked"): row("/sessions/{upcoming}/booked", 302, 200, 404, 200, 404, 200),
    # The session's invitation as a participant downloads it; an admin may look at the session, not add it.
    ("GET", "/sessions/<int:session_id>/calendar.ics"): row("/sessions/{upcoming}/calendar.ics", 302, 200, 404, 200, 404, 403),
    ("POST", "/sessions/<int:session_id>/consent"): row("/sessions/{upcoming}/consent", 302, 303, 404, 303, 404, 303, form={"recording": "y"}),
    ("POST", "/sessions/<int:session_id>/clips"): row("/sessions/{upcoming}/clips", 302, 303, 404, 303, 404, 303, form={}),
    ("POST", "/sessions/<int:session_id>/clips/<int:clip_id>/delete"): row("/sessions/{upcoming}/clips/{clip}/delete", 302, 303, 404, 303, 404, 303, form={}),
    ("GET", "/clips/<int:clip_id>/media"): row("/clips/{clip}/media?sig=forged", 403, 403, 403, 403, 403, 403),
    ("POST", "/api/sessions/<int:session_id>/clips"): row("/api/sessions/{upcoming}/clips", 401, 422, 404, 403, 404, 403, json={}),
    ("GET", "/api/sessions/<int:session_id>/clips"): row("/api/sessions/{upcoming}/clips", 401, 200, 404, 200, 404, 200),
    ("POST", "/sessions/<int:session_id>/notes"): row("/sessions/{past}/notes", 302, 303, 404, 303, 404, 303, form={}),
    ("POST", "/sessions/<int:session_id>/notes/publish"): row("/sessions/{past}/notes/publish", 302, 303, 404, 303, 404, 303, form={}),
    ("POST", "/sessions/<int:session_id>/markers"): row("/sessions/{past}/markers", 302, 303, 404, 303, 404, 303, form={}),
    ("GET", "/dashboard/tricks"): row("/dashboard/tricks", 302, 404, 404, 200, 200, 404),
    ("POST", "/dashboard/tricks"): row("/dashboard/tricks", 302, 404, 404, 303, 303, 404, form={}),
    ("POST", "/sessions/<int:session_id>/progress"): row("/sessions/{past}/progress", 302, 303, 404, 303, 404, 303, form={}),
    ("GET", "/progress"): row("/progress", 302, 200, 200, 200, 200, 200),
    ("POST", "/progress/sharing"): row("/progress/sharing", 302, 303, 303, 303, 303, 303, form={"shared": "yes"}),
    ("POST", "/sessions/<int:session_id>/end"): row("/sessions/{upcoming}/end", 302, 303, 404, 303, 404, 303, form={}),
    ("GET", "/sessions/<int:session_id>/join"): row("/sessions/{upcoming}/join", 302, 200, 404, 200, 404, 403),
    ("POST", "/sessions/<int:session_id>/no-show"): row("/sessions/{upcoming}/no-show", 302, 303, 404, 303, 404, 303, form={}),
    ("POST", "/players/<int:player_id>/waitlist"): row("/players/{player}/waitlist", 302, 303, 303, 303, 303, 303, form={}),
    ("POST", "/waitlist/<int:entry_id>/leave"): row("/waitlist/{waitlist_entry}/leave", 302, 303, 404, 404, 404, 404, form={}),
    ("POST", "/api/players/<int:player_id>/waitlist"): row("/api/players/{player}/waitlist", 401, 422, 422, 422, 422, 422, json={}),
    ("DELETE", "/api/players/<int:player_id>/waitlist"): row("/api/players/{player}/waitlist", 401, 422, 422, 422, 422, 422, json={}),
    ("GET", "/api/users/me/waitlist"): row("/api/users/me/waitlist", 401, 200, 200, 200, 200, 200),
    ("POST", "/packages/<int:package_id>/buy"): row("/packages/{package}/buy", 302, 303, 303, 422, 303, 403, form={}),
    ("GET", "/packages/purchases/<int:purchase_id>"): row("/packages/purchases/{purchase}", 302, 200, 404, 404, 404, 200),
    ("GET", "/packages/purchases/<int:purchase_id>/status"): row("/packages/purchases/{purchase}/status", 302, 200, 404, 404, 404, 200),
    ("POST", "/packages/purchases/<int:purchase_id>/refund"): row("/packages/purchases/{purchase}/refund", 302, 303, 404, 404, 404, 404, form={}),
    ("GET", "/dashboard/credits"): row("/dashboard/credits", 302, 200, 200, 200, 200, 200),
    ("GET", "/dashboard/packages"): row("/dashboard/packages", 302, 403, 403, 200, 200, 403),
    ("POST", "/dashboard/packages"): row("/dashboard/packages", 302, 403, 403, 303, 303, 403, form={}),
    ("GET", "/api/players/<int:player_id>/packages"): row("/api/players/{player}/packages", 200, 200, 200, 200, 200, 200),
    ("PUT", "/api/users/me/packages"): row("/api/users/me/packages", 401, 403, 403, 200, 200, 403, json={"items": []}),
    ("POST", "/api/packages/<int:package_id>/purchase"): row("/api/packages/{package}/purchase", 401, 201, 201, 422, 201, 403, json={}),
    ("GET", "/api/users/me/credits"): row("/api/users/me/credits", 401, 200, 200, 200, 200, 200),
    ("POST", "/api/users/me/credits/<int:purchase_id>/refund"): row("/api/users/me/credits/{purchase}/refund", 401, 201, 404, 404, 404, 404, json={}),
    ("POST", "/sessions/<int:session_id>/player-no-show"): row("/sessions/{upcoming}/player-no-show", 302, 303, 404, 303, 404, 303, form={}),
    ("POST", "/sessions/<int:session_id>/no-show/dispute"): row("/sessions/{upcoming}/no-show/dispute", 302, 303, 404, 303, 404, 303, form={}),
    ("GET", "/sessions/<int:session_id>/payment"): row("/sessions/{upcoming}/payment", 302, 200, 404, 200, 404, 200),
    ("GET", "/sessions/<int:session_id>/payment/cancelled"): row("/sessions/{upcoming}/payment/cancelled", 302, 200, 404, 200, 404, 200),
    ("POST", "/sessions/<int:session_id>/payment/checkout"): row("/sessions/{upcoming}/payment/checkout", 302, 409, 404, 403, 404, 403, form={}),
    ("GET", "/sessions/<int:session_id>/payment/status"): row("/sessions/{upcoming}/payment/status", 302, 200, 404, 200, 404, 200),
    ("GET", "/sessions/<int:session_id>/recording/chapters.vtt"): row("/sessions/{past}/recording/chapters.vtt", 302, 200, 404, 200, 404, 200),
    ("GET", "/sessions/<int:session_id>/recording"): row("/sessions/{past}/recording", 302, 200, 404, 200, 404, 200),
    ("POST", "/sessions/<int:session_id>/recording/share"): row("/sessions/{past}/recording/share", 302, 303, 404, 303, 404, 303, form={}),
    ("POST", "/sessions/<int:session_id>/recording/share/revoke"): row("/sessions/{past}/recording/share/revoke", 302, 403, 404, 303, 404, 403, form={}),
    ("POST", "/sessions/<int:session_id>/sharing"): row("/sessions/{past}/sharing", 302, 303, 404, 303, 404, 303, form={"allow": "y"}),
    # A young fan's guardian has no account: the signed links are the permission (capability links).
    ("GET", "/guardian/<token>"): row("/guardian/{guardian_token}", 200, 200, 200, 200, 200, 200),
    ("POST", "/guardian/<token>"): row("/guardian/{guardian_token}", 303, 303, 303, 303, 303, 303, form={"free_lessons": "y"}),
    ("GET", "/guardian/cancel/<token>"): row("/guardian/cancel/{guardian_cancel_token}", 200, 200, 200, 200, 200, 200),
    ("POST", "/guardian/cancel/<token>"): row("/guardian/cancel/{guardian_cancel_token}", 303, 303, 303, 303, 303, 303, form={}),
    ("GET", "/guardian/cancelled"): row("/guardian/cancelled", 200, 200, 200, 200, 200, 200),
    # The world's fans are adults: nobody to send a link to (409 no_guardian).
    ("POST", "/account/guardian/resend"): row("/account/guardian/resend", 302, 409, 409, 409, 409, 409, form={}),
    ("GET", "/api/users/me/guardian"): row("/api/users/me/guardian", 401, 200, 200, 200, 200, 200),
    ("POST", "/api/users/me/guardian/resend"): row("/api/users/me/guardian/resend", 401, 409, 409, 409, 409, 409, json={}),
}
# fmt: on


@dataclass(frozen=True)
class World:
    users: dict[str, int]  # role -> user id (not "anonymous")
    ids: dict[str, object]  # placeholders for the paths


def build_world() -> World:
    """The people of the matrix, one upcoming paid session and one past recorded one between the fan and player."""
    from kendama.integrations.stripe import gateway as stripe_gateway
    from kendama.services.accounts import accounts
    from kendama.services.notifications import outbox
    from kendama.services.video import recordings

    fan, other_fan = FanFactory(), FanFactory()
    player, other_player = PlayerFactory(setup__paid=True), PlayerFactory()
    admin = AdminFactory()
    pending = PlayerFactory(setup__verified=False)
    waiting = FanFactory()
    waiting.email_confirmed_at = None  # registered on the page, its link not opened yet
    upcoming = LiveSessionFactory(
        fan=fan,
        player=player,
        starts_at=weekday_at(10, days_ahead=4),
        price_amount=2500,
        platform_fee_amount=375,
        player_share_amount=2125,
    )
    upcoming.ends_at = upcoming.blocked_until = upcoming.starts_at + timedelta(minutes=30)
    payment = mark_paid(upcoming)
    past_start = (utcnow() - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    past = LiveSessionFactory(
        fan=fan,
        player=player,
        starts_at=past_start,
        ends_at=past_start + timedelta(minutes=30),
        blocked_until=past_start + timedelta(minutes=30),
        status="completed",
        completed_at=past_start + timedelta(minutes=30),
        fan_recording_consent=True,
        player_recording_consent=True,
        fan_sharing_consent=True,
        player_sharing_consent=True,
        room_name="matrix-room",
    )
    recording = SessionRecording(
        session_id=past.id,
        provider="daily",
        provider_recording_id=f"rec-matrix-{past.id}",
        status="ready",
        duration_seconds=60,
        captions_vtt="WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n",
        ready_at=utcnow(),
    )
    refund = Refund(
        session_id=upcoming.id,
        payment_id=payment.id,
        amount=100,
        currency="usd",
        status="dead",
        idempotency_key=f"matrix-refund-{upcoming.id}",
    )
    note = CoachNote(session_id=past.id, author_id=player.id, at_seconds=5, text="Matrix")
    clip = PracticeClip(
        session_id=upcoming.id,
        uploader_id=fan.id,
        storage_key=f"clips/matrix-{upcoming.id}.mp4",
        content_type="video/mp4",
        size_bytes=1,
        duration_seconds=1,
        width=64,
        height=64,
    )
    absent_start = past_start - timedelta(days=2)
    absent = LiveSessionFactory(
        fan=fan,
        player=player,
        starts_at=absent_start,
        ends_at=absent_start + timedelta(minutes=30),
        blocked_until=absent_start + timedelta(minutes=30),
        status="no_show",
    )
    no_show = NoShowReport(
        session_id=absent.id,
        absent="player",
        reported_by_id=fan.id,
        statement="Matrix",
        reported_at=absent_start + timedelta(minutes=15),
        dispute_until=absent_start + timedelta(hours=48),
        disputed_at=absent_start + timedelta(hours=1),
        dispute_statement="Matrix",
        outcome="disputed",
    )
    # The fan's public review of the past lesson (their post-session feedback).
    review = Review(session_id=past.id, author_id=fan.id, player_id=player.id, rating=5, text="Matrix", public=True)
    waitlist_entry = WaitlistEntry(
        player_id=player.id, fan_id=fan.id, day=upcoming.starts_at.date(), zone="Europe/Prague", duration_minutes=30
    )
    purchase = paid_purchase(fan, player)
    young = FanFactory(birth_year=utcnow().year - 13)
    guardian = GuardianConsent(fan_id=young.id, guardian_email="guardian@example.com", state="approved")
    young_upcoming = LiveSessionFactory(
        fan=young, player=other_player, starts_at=weekday_at(11, days_ahead=6), fan_is_minor=True
    )
    young_upcoming.ends_at = young_upcoming.blocked_until = young_upcoming.starts_at + timedelta(minutes=30)
    db.session.add(guardian)
    db.session.add_all([recording, refund, note, clip, no_show, waitlist_entry, review])
    notice = outbox.queue(fan.id, "password_reset")
    notice.status = "dead"
    db.session.commit()
    # The payout account our records name exists at (sandbox) Stripe, as it would after onboarding.
    stripe_gateway.ensure_sandbox_account(player.profile.payout_account_id, player.email, player.display_name)
    _link, share_token = recordings.create_share_link(player, past.id)
    grant = recordings.grant_for(recording, user_id=fan.id)
    ids = {
        "fan": fan.id,
        "player": player.id,
        "other_player": other_player.id,
        "pending": pending.id,
        "upcoming": upcoming.id,
        "past": past.id,
        "recording": recording.id,
        "note": note.id,
        "review": review.id,
        "clip": clip.id,
        "trick": db.session.scalar(select(Trick.id).where(Trick.retired_at.is_(None)).order_by(Trick.id)),  # seeded
        "refund": refund.id,
        "no_show": no_show.id,
        "waitlist_entry": waitlist_entry.id,
        "package": purchase.package_id,
        "purchase": purchase.id,
        "notification": notice.id,
        "share_token": share_token,
        "captions_sig": grant.captions,
        "calendar_token": fan.calendar_token,
        "reset_token": accounts.password_reset_token(fan),
        "confirm_token": accounts.email_confirmation_token(waiting),
        "waiting_password": PASSWORD,
        "day": upcoming.starts_at.date().isoformat(),
        "slot": weekday_at(14, days_ahead=5).isoformat(),
        "guardian_token": guardians.consent_token(guardian),
        "guardian_cancel_token": guardians.cancel_token(guardian, young_upcoming.id),
    }
    users = {
        "fan": fan.id,
        "other_fan": other_fan.id,
        "player": player.id,
        "other_player": other_player.id,
        "admin": admin.id,
    }
    return World(users=users, ids=ids)


def _fill(value, ids: dict):
    """Put the world's ids into a body: "{name}" strings become the value itself (ints stay ints)."""
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, str) and re.fullmatch(r"\{(\w+)\}", value):
        return ids[value[1:-1]]
    return value


def _routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(tuple(EXCLUDED_PREFIXES))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_row(app):
    routes = _routes(app)
    assert sorted(routes - MATRIX.keys()) == [], "a route without a row in MATRIX: add who may use it"
    assert sorted(MATRIX.keys() - routes) == [], "a row for a route that no longer exists"


class Visitor:
    """One role's browser (a signed-in cookie session with its CSRF token) and API token."""

    def __init__(self, app, user: User | None):
        self.client = app.test_client()
        self.api = app.test_client()  # API calls carry no cookie: bearer token or nothing
        self.bearer = {}
        if user is not None:
            with self.client.session_transaction() as cookie_session:
                cookie_session["_user_id"] = sign_ins.begin(user.id)
                cookie_session["_fresh"] = True
            self.bearer = {"Authorization": f"Bearer {api_tokens.issue_token(user)[0]}"}
        page = self.client.get("/").get_data(as_text=True)
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        self.cookie = self.client.get_cookie("session").value

    def send(self, method: str, path: str, entry: Row, ids: dict):
        if path.startswith("/api/"):
            body = _fill(entry.json, ids) if entry.json is not None else None
            return self.api.open(path, method=method, json=body, headers=self.bearer)
        # Signing out (or in) in one cell must not change who this visitor is in the next.
        self.client.set_cookie("session", self.cookie)
        if entry.form is not None:
            return self.client.open(path, method=method, data={"csrf_token": self.csrf, **_fill(entry.form, ids)})
        return self.client.open(path, method=method)


# The PostgreSQL test database is built with create_all, so no migration is recorded and the
# readiness check says so; the embedded default's is migrated, as scripts/dev.sh does it.
SCHEMA_BUILT_BY_MODELS = {("GET", "/readyz"): 503}


@pytest.mark.parametrize("role", ROLES)
def test_who_gets_what(app, backend, role):
    world = build_world()
    visitor = Visitor(app, db.session.get(User, world.users[role]) if role != "anonymous" else None)
    column = ROLES.index(role)
    connection = db.session.get_bind()
    db.session.remove()
    wrong = []
    for (method, rule), entry in sorted(MATRIX.items(), key=lambda item: (item[0][1], item[0][0])):
        path = entry.path.format(**world.ids)
        savepoint = connection.begin_nested()  # whatever the request writes is undone after it
        try:
            response = visitor.send(method, path, entry, world.ids)
        finally:
            db.session.remove()
            savepoint.rollback()
        expected = entry.statuses[column]
        if backend == "postgresql":
            expected = SCHEMA_BUILT_BY_MODELS.get((method, rule), expected)
        if response.status_code != expected:
            wrong.append(f"{method} {rule}: expected {expected}, got {response.status_code}")
        elif expected == 302 and role == "anonymous" and not response.location.startswith("/login?next="):
            wrong.append(f"{method} {rule}: redirects to {response.location}, not to the sign-in page")
        elif expected == 401 and response.json["error"]["code"] != "not_authenticated":
            wrong.append(f"{method} {rule}: 401 without the not_authenticated code")
    assert wrong == [], f"as {role}:\n" + "\n".join(wrong)
