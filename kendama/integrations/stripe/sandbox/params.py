"""Reading Stripe-style request parameters: form-encoded nested keys, typed with Stripe's errors."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

_KEY_PART = re.compile(r"\[([^\]]*)\]")


class ApiError(Exception):
    """An error answered the way Stripe answers it: status plus {"error": {type, message, …}}."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        decline_code: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.param = param
        self.code = code
        self.decline_code = decline_code

    def body(self) -> dict:
        error: dict[str, Any] = {"type": self.error_type, "message": self.message}
        for name in ("param", "code", "decline_code"):
            if getattr(self, name):
                error[name] = getattr(self, name)
        return {"error": error}


def decode_form(items: Iterable[tuple[str, str]]) -> dict:
    """`line_items[0][price_data][unit_amount]=5` -> {"line_items": [{"price_data": {"unit_amount": "5"}}]}."""
    root: dict = {}
    for key, value in items:
        head = key.split("[", 1)[0]
        parts = [head, *_KEY_PART.findall(key[len(head) :])]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ApiError(400, f"Invalid nested parameter: {key}", param=key)
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    """Dicts keyed 0..n-1 become lists, the way Stripe reads indexed parameters."""
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        indexes = sorted(converted, key=int)
        if [int(i) for i in indexes] == list(range(len(indexes))):
            return [converted[i] for i in indexes]
    return converted


def required(params: dict, name: str, label: str | None = None) -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise ApiError(400, f"Missing required param: {label or name}.", param=label or name, code="parameter_missing")
    return value


def integer(value: Any, param: str, *, minimum: int = 0) -> int:
    try:
        number = int(str(value))
    except ValueError as exc:
        raise ApiError(400, f"Invalid integer: {value}", param=param, code="parameter_invalid_integer") from exc
    if number < minimum:
        raise ApiError(400, f"This value must be greater than or equal to {minimum}.", param=param)
    return number


def boolean(value: Any, param: str) -> bool:
    if value in (None, ""):
        return False
    if str(value) in {"true", "false"}:
        return str(value) == "true"
    raise ApiError(400, f"Invalid boolean: {value}", param=param)


def one_of(value: Any, param: str, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ApiError(400, f"Invalid {param}: must be one of {', '.join(allowed)}", param=param)
    return value


def url(value: Any, param: str) -> str:
    parts = urlsplit(str(value))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ApiError(
            400, f"Not a valid URL: {param} must be an absolute http(s) URL.", param=param, code="url_invalid"
        )
    return str(value)


def metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """Stripe's limits: 50 keys, keys up to 40 characters, values up to 500."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "Invalid hash", param=param)
    if len(value) > 50:
        raise ApiError(400, "Metadata can have at most 50 keys.", param=param)
    for key, item in value.items():
        if len(key) > 40 or len(str(item)) > 500:
            raise ApiError(
                400, "Metadata keys are limited to 40 characters and values to 500.", param=f"{param}[{key}]"
            )
    return {str(k): str(v) for k, v in value.items()}
