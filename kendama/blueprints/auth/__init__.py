"""Accounts in the browser: register, sign in and out, password change and reset."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes  # noqa: E402,F401
