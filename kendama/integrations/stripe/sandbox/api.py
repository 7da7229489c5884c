"""The sandbox's /v1 API: Bearer auth, Idempotency-Key replay, Stripe-shaped JSON and errors."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from functools import wraps

from flask import Response, current_app, g, request

from . import bp, config, connect, delivery, ledger, store
from .params import ApiError


def _json(body: dict, status: int = 200) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Request-Id"] = store.new_id("req")
    response.headers["Cache-Control"] = "no-store"
    return response


def _fingerprint() -> str:
    """Method, path and parameters: a key reused with other parameters is refused."""
    items = sorted(request.form.items(multi=True))
    return hashlib.sha256(json.dumps([request.method, request.path, items]).encode()).hexdigest()


def stripe_api(handler: Callable[..., tuple[dict, bool]]):
    """Wrap a handler returning (object, emitted_events) with Stripe's request semantics."""

    @wraps(handler)
    def endpoint(**kwargs):
        app = current_app._get_current_object()
        path = config.database_path(app)
        if request.headers.get("Authorization", "") != f"Bearer {config.API_KEY}":
            return _json(
                ApiError(401, "Invalid API Key provided. The sandbox only takes its own test key.").body(), 401
            )
        api_path = request.path[len(config.URL_PREFIX) :]
        fault = store.take_fault(path, request.method, api_path)
        if fault is not None:
            if fault.kind != "stall":
                return _fault_response(fault)
            g.sandbox_stall_seconds = fault.seconds
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if key:
            state, status, body = store.idempotency_begin(path, config.API_KEY, key, _fingerprint())
            if state == "replay":
                response = Response(body, status=status, mimetype="application/json")
                response.headers["Idempotent-Replayed"] = "true"
                return response
            if state == "mismatch":
                return _json(
                    ApiError(
                        400,
                        (
                            "Keys for idempotent requests can only be used with the same parameters they were first used "
                            f"with. Try using a key other than '{key}' if you meant to execute a different request."
                        ),
                        error_type="idempotency_error",
                    ).body(),
                    400,
                )
            if state == "in_progress":
                return _json(
                    ApiError(
                        409,
                        (
                            "There is currently another in-progress request using this Idempotent Key (that probably means "
                            "you submitted twice, and the other request is still going through). Please retry shortly."
                        ),
                        error_type="idempotency_error",
                    ).body(),
                    409,
                )
        try:
            params = ledger.parse(request.form.items(multi=True))
            obj, emitted = handler(params=params, **kwargs)
            status, body = 200, obj
        except ApiError as exc:
            status, body, emitted = exc.status, exc.body(), False
        except Exception:
            if key:
                store.idempotency_finish(path, config.API_KEY, key, 500, "", keep=False)
            raise
        text = json.dumps(body)
        if key:
            # Stripe keeps no result for requests refused before they ran (validation errors).
            store.idempotency_finish(path, config.API_KEY, key, status, text, keep=status < 400)
        response = _json(body, status)
        if emitted:
            _deliver_after(response, app)
        return response

    return endpoint


@bp.after_request
def _stall(response: Response) -> Response:
    """A stalled request answers late, whatever it answers (a replay too): the work is done and
    kept, but a caller with a shorter timeout never hears of it."""
    seconds = g.pop("sandbox_stall_seconds", 0)
    if seconds:
        time.sleep(seconds)
    return response


def _fault_response(fault: store.Fault) -> Response:
    """A failure the tests asked for: a 503 Stripe says not to retry, or a plain 500 the client retries."""
    status = 503 if fault.kind == "unavailable" else 500
    response = _json({"error": {"type": "api_error", "message": "The sandbox was told to fail this request."}}, status)
    if fault.kind == "unavailable":
        response.headers["Stripe-Should-Retry"] = "false"
    return response


def _deliver_after(response: Response, app) -> None:
    """Send the new events once the caller has its answer, as Stripe sends webhooks asynchronously.

    In-process (tests without a server) the caller may still be inside its own transaction, so
    events wait for the next hosted-page request or the periodic tick instead.
    """
    if app.config.get("STRIPE_SANDBOX_TRANSPORT") != "wsgi":
        response.call_on_close(lambda: delivery.deliver_pending(app))


def _base() -> str:
    return config.base_url(current_app)


def _tx():
    return store.transaction(config.database_path(current_app))


def _reading():
    return store.reading(config.database_path(current_app))


@bp.post("/v1/checkout/sessions")
@stripe_api
def create_checkout_session(params):
    with _tx() as tx:
        return ledger.create_checkout_session(tx, params, _base()), False


@bp.get("/v1/checkout/sessions/<session_id>")
@stripe_api
def retrieve_checkout_session(params, session_id):
    with _reading() as tx:
        found = tx.get(session_id, "checkout.session")
    if found is not None and not ledger.expiry_due(found[0]):
        return found[0], False
    with _tx() as tx:  # unknown (404), or due to expire now: decided under the write lock
        session, _ = ledger.checkout_session(tx, session_id)
    return session, found is not None and found[0]["status"] != session["status"]


@bp.post("/v1/checkout/sessions/<session_id>/expire")
@stripe_api
def expire_checkout_session(params, session_id):
    with _tx() as tx:
        return ledger.expire_checkout_session(tx, session_id), True


@bp.post("/v1/refunds")
@stripe_api
def create_refund(params):
    with _tx() as tx:
        return ledger.create_refund(tx, params), True


@bp.get("/v1/refunds/<refund_id>")
@stripe_api
def retrieve_refund(params, refund_id):
    with _reading() as tx:
        return ledger.refund(tx, refund_id), False


@bp.post("/v1/accounts")
@stripe_api
def create_account(params):
    with _tx() as tx:
        return connect.create_account(tx, params), False


@bp.get("/v1/accounts/<account_id>")
@stripe_api
def retrieve_account(params, account_id):
    with _reading() as tx:
        return connect.account(tx, account_id), False


@bp.post("/v1/account_links")
@stripe_api
def create_account_link(params):
    with _tx() as tx:
        return connect.create_account_link(tx, params, _base()), False


@bp.post("/v1/accounts/<account_id>/login_links")
@stripe_api
def create_login_link(params, account_id):
    with _tx() as tx:
        return connect.create_login_link(tx, account_id, _base()), False


@bp.post("/v1/test_helpers/accounts/provision")
@stripe_api
def provision_account(params):
    """The sandbox's own test helper: a ready account for a player our records call ready.

    Demo data and test factories mark players ready without going through onboarding; this makes
    their account real in the sandbox (under the same id), so destination charges work there.
    Stripe has no such call: its accounts are only ever made ready by onboarding.
    """
    with _tx() as tx:
        return connect.ensure_enabled_account(tx, params.get("id"), params.get("email"), params.get("name")), False
