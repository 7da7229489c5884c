"""Reading JSON bodies into typed models and writing lists the way the contract says."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import request
from flask_login import current_user
from pydantic import BaseModel, TypeAdapter, ValidationError

from ...services import access
from ...services.errors import InvalidInput, NotAuthenticated, ServiceError
from ...web.input_guard import contains_nul, nesting_depth

Model = TypeVar("Model", bound=BaseModel)
MAX_PER_PAGE = 100
# No request body of the contract comes near these; past them a body is an attack or a mistake.
# Parsing stops short of Python's recursion limit ("[" * 5000 raised RecursionError: a 500).
MAX_JSON_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32


class MalformedRequest(ServiceError):
    status = 400
    code = "malformed"


class BodyTooLarge(ServiceError):
    status = 413
    code = "too_large"


def parse_body(model: type[Model]) -> Model:
    """The request's JSON body as `model`: 400 when it is not JSON, 413 when too large, 422 per bad field."""
    data = _json_body()
    if not isinstance(data, dict):
        raise MalformedRequest("The body must be a JSON object.")
    if contains_nul(data):
        raise MalformedRequest("The body contains a NUL character, which is not allowed.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(validation_fields(exc)) from exc


def parse_list_body(model: type[Model], *, max_items: int) -> list[Model]:
    """A body that is a JSON array of `model` (or {"items": [...]}); bad fields are named "0.field"."""
    data = _json_body()
    if isinstance(data, dict) and set(data) == {"items"}:
        data = data["items"]
    if not isinstance(data, list):
        raise MalformedRequest("The body must be a JSON array.")
    if len(data) > max_items:
        raise InvalidInput({"body": f"Send at most {max_items} items."})
    if contains_nul(data):
        raise MalformedRequest("The body contains a NUL character, which is not allowed.")
    try:
        return TypeAdapter(list[model]).validate_python(data)
    except ValidationError as exc:
        raise InvalidInput(validation_fields(exc)) from exc


def _json_body() -> Any:
    """The body as JSON, within MAX_JSON_BYTES and MAX_JSON_DEPTH (the one place the API reads JSON)."""
    if not request.is_json:
        raise MalformedRequest("Send a JSON body with Content-Type: application/json.")
    too_large = BodyTooLarge(f"The body is larger than {MAX_JSON_BYTES // 1024} KB.")
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise too_large
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise too_large
    too_deep = MalformedRequest(f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise too_deep from exc
    except ValueError as exc:  # not JSON, or not UTF-8
        raise MalformedRequest("The body is not valid JSON.") from exc
    if nesting_depth(data) > MAX_JSON_DEPTH:
        raise too_deep
    return data


def validation_fields(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(name, error["msg"])
    return fields


def parse_query(model: type[Model]) -> Model:
    """Query-string parameters as `model` (422 per bad parameter)."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise InvalidInput(validation_fields(exc)) from exc


def pagination() -> tuple[int, int]:
    """`page` and `per_page` from the query string (per_page at most 100)."""
    errors = {}
    values = {}
    for name, default, upper in (("page", 1, 100_000), ("per_page", 20, MAX_PER_PAGE)):
        raw = request.args.get(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            errors[name] = "Give a whole number."
            continue
        if not 1 <= value <= upper:
            errors[name] = f"Give a number from 1 to {upper}."
        values[name] = value
    if errors:
        raise InvalidInput(errors)
    return values["page"], values["per_page"]


def page_body(items: list[Any], page: int, per_page: int, total: int) -> dict:
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def require_user():
    """The signed-in user (cookie or token), or a 401."""
    if not current_user.is_authenticated:
        raise NotAuthenticated("Sign in, or send an API token as Authorization: Bearer <token>.")
    return current_user._get_current_object()


def require_admin():
    user = require_user()
    access.require_admin(user)
    return user
