"""GET /healthz (database and Redis reachable) and GET /readyz (plus migrations applied)."""

from __future__ import annotations

from flask import jsonify

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
    report = health.check(require_current_schema=True)
    return jsonify(report.as_dict()), 200 if report.ok else 503
