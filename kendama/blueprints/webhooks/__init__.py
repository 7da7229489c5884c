"""Webhooks from outside services: verified by signature, handled once, answered quickly."""

from flask import Blueprint

from ...extensions import csrf, limiter

bp = Blueprint("webhooks", __name__)
# Signed by the sender instead of carrying our CSRF token; providers retry in bursts.
csrf.exempt(bp)
limiter.exempt(bp)

from . import stripe, video  # noqa: E402,F401
