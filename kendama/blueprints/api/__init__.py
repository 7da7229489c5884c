"""The JSON API (../shared/API.md). Handlers parse, call one service, serialize."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from . import (  # noqa: E402,F401
    access,  # noqa: E402,F401  (request checks for every API call)
    accounts,
    admin,
    availability,
    calendar_connection,
    clips,
    coaching,
    coaching_notes,
    feedback,
    guardian,
    no_shows,
    openapi,
    packages,
    players,
    profile,
    reviews,
    sessions,
    video,
    waitlist,
)
