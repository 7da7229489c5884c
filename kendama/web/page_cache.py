"""Whole public pages for anonymous visitors, cached like the fragments they are made of.

A player's profile and the listing are mostly read by visitors who are not signed in and bring
no session cookie. For them a page holds nothing of the request's own: no CSRF token (public
pages make none for anonymous visitors), no flashed message (those live in the session cookie)
and no name in the header; what remains depends on the address and the viewer's zone, which key
it. Such a page is rendered once and stored with services/booking/slot_cache.py under the
versions of what it shows, so it follows the same invalidation rules as the fragments inside it
(web/fragment_cache.py); anyone else gets the page drawn around those fragments as before.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import current_app, request
from flask_login.config import COOKIE_NAME as REMEMBER

from . import fragment_cache
from .htmx import is_htmx_request
from .template_helpers import browser_zone


def shared_view() -> str | None:
    """The viewer's zone if this request's page is the one every anonymous visitor in that zone
    gets, else None.

    Told from the request alone: a visitor who brings no session cookie, no remember-me cookie
    and no bearer token is not signed in, so flask-login is not asked to load anyone.
    """
    if request.method != "GET" or is_htmx_request() or "Authorization" in request.headers:
        return None
    cookies = request.cookies
    config = current_app.config
    if cookies.get(config["SESSION_COOKIE_NAME"]) or cookies.get(config.get("REMEMBER_COOKIE_NAME", REMEMBER)):
        return None  # a session may hold a flashed message, or sign the visitor in
    return browser_zone() or "UTC"


def player_page(player_id: int, key: Hashable, render: Callable[[], str]) -> str:
    """The whole page of one player, rendered again once that player's schedule or profile changes."""
    return fragment_cache.player_fragment(player_id, "page", key, render)


def listing_page(key: Hashable, render: Callable[[], str]) -> str:
    """A whole page that lists players, rendered again once any player changes."""
    return fragment_cache.listing_fragment("page", key, render)
