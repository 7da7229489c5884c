"""Flask's signed cookie sessions, minus the signer for requests that bring no session cookie.

Most requests under load (API clients, first visits) carry no session cookie, and Flask builds a
new signing serializer for every request before it looks. This interface looks first.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
