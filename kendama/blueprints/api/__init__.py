"""The JSON API (../shared/API.md). Handlers parse, call one service, serialize."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from . import access  # noqa: E402,F401  (request checks for every API call)
from . import accounts, admin, openapi, players, profile  # noqa: E402,F401
