"""A young fan's guardian: GET /api/users/me/guardian, POST /api/users/me/guardian/resend."""

from __future__ import annotations

from typing import Literal

from flask import current_app, jsonify
from pydantic import BaseModel, Field

from ...extensions import limiter, per_user
from ...services.accounts import guardians
from . import bp
from .io import require_user
from .spec import operation


class AllowancesOut(BaseModel):
    free_lessons: bool
    paid_lessons: bool
    recording: bool
    sharing: bool = Field(description="sharing progress with every player booked; recordings of a minor never are")


class GuardianOut(BaseModel):
    required: bool = Field(description="the fan is under the guardian age (counted from the birth year)")
    status: Literal["none", "pending", "approved"]
    guardian_email: str | None
    allowances: AllowancesOut = Field(description="what the caller may do; all true when no guardian is required")


def _guardian_out(status: guardians.GuardianStatus) -> dict:
    return GuardianOut(
        required=status.required,
        status=status.status,
        guardian_email=status.guardian_email,
        allowances=AllowancesOut(**status.allowances.as_dict()),
    ).model_dump()


@bp.get("/users/me/guardian")
@operation(
    "The caller's guardian, whether they confirmed, and what they allow", tag="auth", responses={200: GuardianOut}
)
def my_guardian():
    return jsonify(_guardian_out(guardians.status_of(require_user())))


@bp.post("/users/me/guardian/resend")
@limiter.limit(lambda: current_app.config["RATELIMIT_GUARDIAN_RESEND"], key_func=per_user)
@operation(
    "Email the guardian their link again (409 `no_guardian` when the caller has none)",
    tag="auth",
    responses={202: GuardianOut},
    errors=(409, 429),
)
def resend_guardian_link():
    return jsonify(_guardian_out(guardians.resend(require_user()))), 202
