"""OpenAPI metadata attached to each API view, so the served document cannot drift from the code.

Every API view is decorated with `@operation(...)`; `/api/openapi.json` is built by walking
the real URL map and reading these records, and a test fails for any API route without one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

ERROR_STATUSES = {
    400: "Malformed request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    422: "Invalid field values",
    429: "Too many requests",
    503: "A provider is unavailable; retry",
}


@dataclass
class Operation:
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    responses: dict[int, type[BaseModel] | None] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    auth: bool = True
    paginated: bool = False


def operation(
    summary: str, *, tag: str, body=None, query=None, responses=None, errors=(), auth=True, paginated=False
) -> Callable:
    """Record how an API view is called and what it answers."""

    def decorate(view: Callable) -> Callable:
        view._openapi = Operation(summary, tag, body, query, responses or {200: None}, tuple(errors), auth, paginated)
        return view

    return decorate


def spec_of(view: Callable) -> Operation | None:
    return getattr(view, "_openapi", None)


def schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict:
    """Put a model's JSON schema in components and return a $ref to it."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def input_schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}
