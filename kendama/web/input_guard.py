"""Refuse input the app cannot handle: a NUL character anywhere in the input is a 400, and JSON is
measured for its depth (kendama/blueprints/api/io.py bounds it).

PostgreSQL text columns cannot hold U+0000, so such input would otherwise fail deep inside a query.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request

NUL = "\x00"


def contains_nul(value: Any) -> bool:
    """True when a string, or any string inside a JSON value, holds a NUL character."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


def nesting_depth(value: Any) -> int:
    """How many arrays and objects deep a parsed JSON value goes (0 for a plain value), without recursing."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        if NUL in request.path or any(NUL in key or NUL in value for key, value in request.args.items(multi=True)):
            abort(400, "The address contains a character that is not allowed.")
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and any(
            NUL in key or NUL in value for key, value in request.form.items(multi=True)
        ):
            abort(400, "The form contains a character that is not allowed.")
