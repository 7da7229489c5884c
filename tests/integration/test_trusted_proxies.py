"""TRUSTED_PROXY_COUNT: behind a reverse proxy each client is itself (its own rate-limit bucket),
and nobody but a trusted proxy may say who the client is.

A real nginx in front of gunicorn proves the same end to end: tests/e2e/test_behind_nginx.py.
"""

from __future__ import annotations

import pytest
from flask import jsonify, request

from kendama import create_app
from kendama.extensions import db, limiter

NGINX = "127.0.0.1"  # the proxy's address as the app server sees it


def app_behind(database_url, **settings):
    """An app with the proxy settings given, and a probe that tells what it believes of the client."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **settings})

    @limiter.limit("2 per minute")
    def probe():
        return jsonify(client=request.remote_addr, scheme=request.scheme, host=request.host)

    app.add_url_rule("/_probe", "probe", probe)
    return app


@pytest.fixture
def behind_nginx(database_url):
    app = app_behind(database_url, TRUSTED_PROXY_COUNT="1", FORWARDED_ALLOW_IPS=NGINX)
    yield app
    with app.app_context():
        db.engine.dispose()


def through(app, peer: str, **headers):
    """A request as the app server receives it from `peer`, with these headers."""
    return app.test_client().get("/_probe", headers=headers, environ_base={"REMOTE_ADDR": peer})


def test_behind_one_proxy_the_client_is_the_address_the_proxy_saw(behind_nginx):
    seen = through(behind_nginx, NGINX, **{"X-Forwarded-For": "203.0.113.1", "X-Forwarded-Proto": "https"})
    assert seen.json == {"client": "203.0.113.1", "scheme": "https", "host": "localhost"}


def test_each_client_behind_the_proxy_has_its_own_rate_limit(behind_nginx):
    one = [through(behind_nginx, NGINX, **{"X-Forwarded-For": "203.0.113.1"}).status_code for _ in range(3)]
    assert one == [200, 200, 429]
    assert through(behind_nginx, NGINX, **{"X-Forwarded-For": "203.0.113.2"}).status_code == 200


def test_an_address_a_client_writes_itself_is_never_believed(behind_nginx):
    # nginx appends what it saw ($proxy_add_x_forwarded_for): the client's own entry stays to the left.
    forged = {"X-Forwarded-For": "203.0.113.2, 203.0.113.1"}
    assert through(behind_nginx, NGINX, **forged).json["client"] == "203.0.113.1"
    assert [through(behind_nginx, NGINX, **forged).status_code for _ in range(2)] == [200, 429]
    assert through(behind_nginx, NGINX, **{"X-Forwarded-For": "203.0.113.2"}).status_code == 200


def test_a_peer_that_is_not_the_proxy_cannot_speak_for_clients(behind_nginx):
    direct = {"X-Forwarded-For": "203.0.113.1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    seen = through(behind_nginx, "198.51.100.7", **direct)
    assert seen.json == {"client": "198.51.100.7", "scheme": "http", "host": "localhost"}
    assert through(behind_nginx, "198.51.100.7", **{"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    assert through(behind_nginx, "198.51.100.7", **{"X-Forwarded-For": "203.0.113.8"}).status_code == 429


def test_without_a_proxy_forwarded_headers_are_ignored(database_url):
    app = app_behind(database_url)
    seen = through(app, NGINX, **{"X-Forwarded-For": "203.0.113.1", "X-Forwarded-Proto": "https"})
    assert seen.json["client"] == NGINX and seen.json["scheme"] == "http"
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "11", "1e3", "+1"])
def test_a_proxy_count_that_is_no_count_is_refused_at_start(database_url, value):
    with pytest.raises(RuntimeError, match=r"TRUSTED_PROXY_COUNT must be .* got '"):
        create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXY_COUNT": value})


@pytest.mark.parametrize("value", ["localhost", "127.0.0.1,10.0.0", "", " , "])
def test_trusted_proxy_addresses_that_are_no_addresses_are_refused_at_start(database_url, value):
    with pytest.raises(RuntimeError, match="FORWARDED_ALLOW_IPS"):
        create_app(
            "testing",
            {"SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXY_COUNT": "1", "FORWARDED_ALLOW_IPS": value},
        )
