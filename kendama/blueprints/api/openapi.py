"""GET /api/openapi.json: the OpenAPI 3.1 document, built from the live URL map."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify

from ...web.url_converters import MAX_DATABASE_ID
from . import bp
from .spec import ERROR_STATUSES, input_schema_ref, schema_ref, spec_of

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    params = []
    for converter, name in _CONVERTER.findall(rule):
        schema = (
            {"type": "integer", "minimum": 0, "maximum": MAX_DATABASE_ID} if converter == "int" else {"type": "string"}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _CONVERTER.sub(r"{\2}", rule), params


def _query_parameters(model, components) -> list[dict]:
    schema = model.model_json_schema(mode="validation")
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _pagination_parameters() -> list[dict]:
    return [
        {
            "name": "page",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 100000},
        },
        {
            "name": "per_page",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
        },
    ]


def build_document() -> dict[str, Any]:
    """The whole document for the routes this app really serves under /api."""
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi_document":
            continue
        op = spec_of(current_app.view_functions[rule.endpoint])
        if op is None:
            continue
        path, params = _openapi_path(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            entry: dict[str, Any] = {
                "operationId": f"{rule.endpoint.removeprefix('api.')}_{method.lower()}",
                "summary": op.summary,
                "tags": [op.tag],
                "parameters": list(params),
                "responses": {},
            }
            if op.query is not None:
                entry["parameters"] += _query_parameters(op.query, components)
            if op.paginated:
                entry["parameters"] += _pagination_parameters()
            if op.body is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": input_schema_ref(op.body, components)}},
                }
            for status, model in op.responses.items():
                response: dict[str, Any] = {"description": "Success" if status < 300 else "Result"}
                if model is not None:
                    response["content"] = {"application/json": {"schema": schema_ref(model, components)}}
                entry["responses"][str(status)] = response
            # 400: any request can be malformed (e.g. a NUL character, refused by input_guard.py).
            # 413 and 422: a JSON body may be too large (io.py MAX_JSON_BYTES) or have bad fields.
            error_statuses = set(op.errors) | {400} | ({401} if op.auth else set()) | ({413, 422} if op.body else set())
            if op.query is not None or op.paginated:
                error_statuses.add(422)
            for status in sorted(error_statuses):
                entry["responses"][str(status)] = {
                    "description": ERROR_STATUSES[status],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            if op.auth:
                entry["security"] = [{"bearer": []}, {"cookie": []}]
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kendama Live Sessions API",
            "version": "1.0.0",
            "description": "Book live one-on-one kendama lessons. See docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(build_document())
