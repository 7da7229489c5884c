"""Errors that services raise; one mapping (kendama/web/errors.py) turns them into responses."""

from __future__ import annotations

from dataclasses import dataclass


class ServiceError(Exception):
    """Base class: a stable machine code, a human message, an HTTP status, field messages."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class InvalidInput(ServiceError):
    """Field values that break a rule (422, with a message per field)."""

    status = 422
    code = "invalid"

    def __init__(
        self, fields: dict[str, str], message: str = "Some fields need attention.", *, code: str | None = None
    ):
        super().__init__(message, code=code, fields=fields)


class NotAuthenticated(ServiceError):
    status = 401
    code = "not_authenticated"


class NotAllowed(ServiceError):
    status = 403
    code = "forbidden"


class EmailNotConfirmed(NotAllowed):
    """The right password for an account still waiting for its emailed link."""

    code = "email_unconfirmed"


class NotFound(ServiceError):
    """Also raised for things the caller may not know exist, so they learn nothing."""

    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class SlotUnavailable(Conflict):
    code = "slot_unavailable"


class PolicyViolation(Conflict):
    code = "policy_violation"


class WrongState(Conflict):
    code = "wrong_state"


class ProviderUnavailable(ServiceError):
    """An outside service (payments, video, mail) failed; the caller may retry."""

    status = 503
    code = "provider_unavailable"
    retry_after_seconds = 10  # sent as Retry-After: outside services mostly come back quickly


@dataclass(frozen=True)
class Refusal:
    """Why an action would be refused, told before it is tried; trying it raises the same code and message."""

    code: str
    message: str
    final: bool = True  # False: a visitor is told, but may yet be allowed once signed in

    @classmethod
    def of(cls, error: ServiceError) -> Refusal:
        return cls(error.code, error.message)
