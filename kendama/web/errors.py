"""The one error mapping: a service error or HTTP error becomes JSON, an htmx fragment or a page."""

from __future__ import annotations

import secrets

from flask import Flask, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from ..dialects import is_transient
from ..extensions import db
from ..services.errors import ServiceError
from .htmx import is_htmx_request

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def wants_json() -> bool:
    """API and webhook callers get JSON; browsers get pages."""
    if request.path.startswith(("/api/", "/webhooks/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body: dict = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return body


def respond(
    status: int, code: str, message: str, fields: dict | None = None, headers=None, reference: str | None = None
):
    """Answer an error in the form the client asked for."""
    if wants_json():
        body = error_body(code, message, fields)
        if reference:
            body["error"]["reference"] = reference
        response = jsonify(body)
    elif is_htmx_request():
        response = render_template(
            "errors/_message.html", status=status, message=message, fields=fields or {}, reference=reference
        )
        # Show it in the page's error slot rather than in place of whatever was being updated.
        headers = {**(headers or {}), "HX-Retarget": "#htmx-errors", "HX-Reswap": "innerHTML"}
    else:
        response = render_template("errors/page.html", status=status, message=message, code=code, reference=reference)
    return response, status, headers or {}


def new_reference() -> str:
    """A short id for one failure, shown to the person and written in the log beside the traceback."""
    return secrets.token_hex(4)


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        retry_after = getattr(exc, "retry_after_seconds", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return respond(exc.status, exc.code, exc.message, exc.fields, headers=headers)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return respond(
            400, "csrf_failed", "The form expired or was not sent from this site. Reload the page and try again."
        )

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        # A dropped connection or a lock timeout passes: the transaction is gone, nothing
        # half-written stays, and trying again helps. Anything else (a query the database does not
        # understand) is a bug, answered as one.
        if not is_transient(exc):
            return unexpected(exc)
        db.session.rollback()
        app.logger.error("database unavailable: %s", exc)
        return respond(
            503,
            "unavailable",
            "The service is briefly unavailable. Please try again in a moment.",
            headers={"Retry-After": "5"},
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = exc.description if status != 404 else "We could not find that page."
        if status == 429:
            message = "Too many attempts. Please wait a little and try again."
        # Keep headers such as Allow and Retry-After, but not the exception's own Content-Type.
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        if status == 429 and isinstance(exc, RateLimitExceeded):
            # The window's length: by then the client may try again.
            headers.setdefault("Retry-After", str(exc.limit.limit.get_expiry()))
        return respond(status, HTTP_CODES.get(status, "error"), message, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        reference = new_reference()
        app.logger.error("unhandled error, reference %s", reference, exc_info=exc)
        return respond(
            500,
            "server_error",
            f"Something went wrong on our side, and nothing was changed. We have logged it; if you contact us, "
            f"quote the reference {reference}.",
            reference=reference,
        )
