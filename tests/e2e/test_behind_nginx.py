"""Production behind a real nginx (TLS with a self-signed certificate) in front of gunicorn, with
TRUSTED_PROXY_COUNT=1: each client has its own sign-in limit, plain http goes to https, answers
carry HSTS and Secure cookies, and X-Forwarded-* from anyone but nginx is not believed.

Clients come from different loopback addresses (127.0.0.2, 127.0.0.3, ...), so nginx sees each
as itself; gunicorn sees nginx as 127.0.0.1. The stack is tests/support/nginx_stack.py.
"""

from __future__ import annotations

import re

import pytest

from ..support.nginx_stack import client_from, nginx_in_front_of_gunicorn
from ..support.payments_helpers import csrf_from

pytestmark = pytest.mark.committed  # the stack has a database of its own

SIGN_IN_LIMIT = 3


@pytest.fixture(scope="module")
def stack():
    with nginx_in_front_of_gunicorn({"RATELIMIT_LOGIN": f"{SIGN_IN_LIMIT} per minute"}) as served:
        yield served


def failed_sign_in(client, base: str, **headers) -> int:
    """Open the sign-in page and send a wrong password, as a browser does (CSRF token, Referer)."""
    page = client.get(f"{base}/login")
    form = {"csrf_token": csrf_from(page.text), "email": "nobody@example.com", "password": "not-the-password"}
    headers = {"Referer": f"{base}/login", **headers}
    return client.post(f"{base}/login", data=form, headers=headers, allow_redirects=False).status_code


def test_plain_http_is_redirected_to_https(stack):
    response = client_from("127.0.0.2", stack).get(f"{stack.http_url}/login?next=/dashboard/", allow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"] == f"{stack.https_url}/login?next=/dashboard/"


def test_answers_over_https_carry_hsts_and_secure_cookies(stack):
    response = client_from("127.0.0.2", stack).get(f"{stack.https_url}/login")
    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 180 * 24 * 3600
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and {"Secure", "HttpOnly", "SameSite=Lax"} <= {
        part.strip() for part in cookie.split(";")
    }


def test_one_client_at_the_sign_in_limit_does_not_lock_out_another(stack):
    attacker = client_from("127.0.0.2", stack)
    codes = [failed_sign_in(attacker, stack.https_url) for _ in range(SIGN_IN_LIMIT + 1)]
    assert codes == [401] * SIGN_IN_LIMIT + [429]
    # An address of its own choosing does not get it out: nginx appends the one it saw.
    assert failed_sign_in(attacker, stack.https_url, **{"X-Forwarded-For": "127.0.0.9"}) == 429
    assert failed_sign_in(client_from("127.0.0.3", stack), stack.https_url) == 401


def test_forwarded_headers_from_a_client_that_reaches_gunicorn_directly_are_not_believed(stack):
    victim = client_from("127.0.0.4", stack)
    assert failed_sign_in(victim, stack.https_url) == 401  # one of the victim's attempts used
    direct = client_from("127.0.0.5", stack)
    page = direct.get(f"{stack.app_url}/login")
    # The session cookie is Secure, so a client keeps it off plain http; this one sends it anyway.
    cookie = "; ".join(f"{c.name}={c.value}" for c in page.cookies)
    form = {"csrf_token": csrf_from(page.text), "email": "nobody@example.com", "password": "not-the-password"}
    # Posing as the victim, over "https" (a believed X-Forwarded-Proto would demand a Referer: 400).
    posing = {"Cookie": cookie, "X-Forwarded-For": "127.0.0.4", "X-Forwarded-Proto": "https"}
    codes = [
        direct.post(f"{stack.app_url}/login", data=form, headers=posing, allow_redirects=False).status_code
        for _ in range(SIGN_IN_LIMIT + 1)
    ]
    assert codes == [401] * SIGN_IN_LIMIT + [429]  # its own bucket, as the plain-http client it is
    assert failed_sign_in(victim, stack.https_url) == 401  # the victim's bucket saw none of them
