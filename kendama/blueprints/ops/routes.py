"""GET /healthz (database and Redis reachable), GET /readyz (plus migrations applied, and how
payments and video are configured), and
GET /favicon.ico, which browsers ask for by convention whatever a page links."""

from __future__ import annotations

from flask import current_app, jsonify, send_from_directory

from ...extensions import csrf, limiter
from ...services import health
from . import bp

csrf.exempt(bp)
limiter.exempt(bp)


@bp.get("/healthz")
def healthz():
    report = health.check()
    return jsonify(report.as_dict()), 200 if report.ok else 503


@bp.get("/readyz")
def readyz():
    report = health.readiness()
    return jsonify(report.as_dict()), 200 if report.ok else 503


@bp.get("/favicon.ico")
def favicon():
    """The icon every page links (static/favicon.svg), for browsers that ask at the old address."""
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)
