"""Every unsafe HTML form endpoint refuses a request without the CSRF token."""

import re

import pytest

from ..support.factories import AdminFactory

# Endpoints that are not browser forms: the API (token auth, or CSRF header checked in
# api/access.py), provider webhooks (signature-verified) and the outside-service sandboxes.
EXEMPT_PREFIXES = ("/api/", "/webhooks/", "/_sandbox/")


def unsafe_form_rules(app):
    for rule in app.url_map.iter_rules():
        methods = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if methods and not rule.rule.startswith(EXEMPT_PREFIXES):
            yield rule, sorted(methods)[0]


def fill(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", "1", rule.rule)


def test_there_are_forms_to_check(app):
    assert len(list(unsafe_form_rules(app))) >= 8


def test_every_form_endpoint_requires_csrf(app, client, login):
    login(AdminFactory())
    failures = []
    for rule, method in unsafe_form_rules(app):
        response = client.open(fill(rule), method=method, data={"x": "1"})
        if response.status_code != 400 or "form expired" not in response.get_data(as_text=True):
            failures.append(f"{method} {rule.rule}: {response.status_code}")
    assert not failures, failures


@pytest.mark.parametrize("path", ["/api/users/me/profile"])
def test_cookie_authenticated_api_writes_need_the_csrf_header(client, login, path):
    from ..support.factories import PlayerFactory

    login(PlayerFactory())
    response = client.put(path, json={"bio": "x"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "csrf_failed"


def test_a_bogus_bearer_header_does_not_lift_csrf_for_a_cookie_session(client, login):
    from ..support.factories import PlayerFactory

    login(PlayerFactory())
    response = client.put("/api/users/me/profile", json={"bio": "x"}, headers={"Authorization": "Bearer forged"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "csrf_failed"
