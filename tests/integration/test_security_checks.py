"""Security checks not covered elsewhere.

Already covered, and not repeated here:
- CSRF on every unsafe form: test_csrf_everywhere.py (walks app.url_map).
- who may use which route: test_authorization_matrix.py.
- open redirects in next=: test_html_accounts.py::test_open_redirect_in_next_is_ignored.
- the session cookie changes at sign-in: test_html_accounts.py::test_session_is_renewed_on_sign_in.
- recording links tampered with or expired: test_video_recordings.py::test_signed_links_expire_...;
  email action links for another person or purpose: test_notifications.py.
- webhook forgery and replay: payments/test_checkout.py (unsigned, badly signed, stale, forged
  but signed, duplicate events) and test_video_recordings.py (the same for /webhooks/video).
- rate limits on sign-in (HTML), failed token requests and API bookings: test_html_accounts.py,
  test_api_accounts.py, test_api_sessions.py.
- CSP, frame-ancestors and nosniff on a page, no HSTS outside production:
  test_html_accounts.py::test_security_headers.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from argon2 import Type, extract_parameters

from kendama import create_app
from kendama.config import CONFIGS
from kendama.extensions import db
from kendama.models import RecordingShareLink, SessionRecording, User, utcnow
from kendama.services.accounts import accounts, passwords
from kendama.services.errors import NotAllowed
from kendama.services.notifications import links
from kendama.services.video import recordings

from ..conftest import csrf_token_from
from ..support.account_helpers import sign_up
from ..support.booking_helpers import weekday_at
from ..support.deployed import production_settings
from ..support.factories import PASSWORD, FanFactory, LiveSessionFactory, PlayerFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def post_form(client, url, data, **kwargs):
    return client.post(url, data={"csrf_token": csrf_token_from(client), **data}, **kwargs)


@pytest.fixture
def limit(app):
    """Lower one of the configured rate limits for a test (they are read on every request)."""
    changed = {}

    def lower(name: str, value: str) -> None:
        changed.setdefault(name, app.config[name])
        app.config[name] = value

    yield lower
    app.config.update(changed)


# --- Session fixation -----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["sign_in", "register"])
def test_a_session_cookie_from_before_sign_in_never_becomes_signed_in(app, client, how):
    # An attacker who planted (or read) the visitor's cookie before sign-in holds a copy of it.
    client.get("/")
    planted = client.get_cookie("session").value
    if how == "sign_in":
        response = post_form(client, "/login", {"email": FanFactory().email, "password": PASSWORD})
    else:  # registering, then finishing the account from the emailed link
        response = sign_up(client, "ola@example.com", "long-enough-pw")
    assert response.status_code == 303
    assert client.get("/dashboard/").status_code == 200
    assert client.get_cookie("session").value != planted

    attacker = app.test_client()
    attacker.set_cookie("session", planted)
    assert attacker.get("/dashboard/").status_code == 302  # still a signed-out visitor


# --- Signed links: expiry and tampering -----------------------------------------------------


def test_password_reset_links_expire_and_cannot_be_altered(app, client, monkeypatch):
    user = FanFactory()
    token = accounts.password_reset_token(user)
    form = {"password": "reset-password-1", "confirm": "reset-password-1"}
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert post_form(client, f"/password/reset/{altered}", form).status_code == 403
    other_purpose = links.signing.sign("email-join", {"uid": user.id, "v": user.auth_version})
    assert post_form(client, f"/password/reset/{other_purpose}", form).status_code == 403
    monkeypatch.setitem(app.config, "PASSWORD_RESET_SECONDS", -1)
    expired = post_form(client, f"/password/reset/{token}", form)
    assert expired.status_code == 403 and "expired" in expired.get_data(as_text=True)
    assert accounts.authenticate(user.email, "reset-password-1") is None


def test_email_join_links_expire(app, monkeypatch):
    session = LiveSessionFactory()
    token = links.action_url("join", session, session.fan).split("t=", 1)[1]
    links.check_action_token("join", token, session.id, session.fan_id)
    monkeypatch.setitem(app.config, "EMAIL_ACTION_LINK_SECONDS", -1)
    with pytest.raises(NotAllowed) as refused:
        links.check_action_token("join", token, session.id, session.fan_id)
    assert refused.value.code == "link_expired"


def test_recording_share_links_expire_and_cannot_be_altered(client):
    past = utcnow() - timedelta(days=2)
    session = LiveSessionFactory(
        starts_at=past,
        ends_at=past + timedelta(minutes=30),
        blocked_until=past + timedelta(minutes=30),
        status="completed",
        fan_recording_consent=True,
        player_recording_consent=True,
        fan_sharing_consent=True,
        player_sharing_consent=True,
    )
    db.session.add(SessionRecording(session_id=session.id, provider_recording_id=f"r-{session.id}", status="ready"))
    db.session.commit()
    link, token = recordings.create_share_link(session.player, session.id)
    assert client.get(f"/recordings/shared?token={token}").status_code == 200
    assert client.get(f"/recordings/shared?token={token[:-1]}x").status_code == 404
    db.session.get(RecordingShareLink, link.id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/recordings/shared?token={token}").status_code == 404


# --- Rate limits ----------------------------------------------------------------------------


def _registration(n: int) -> dict:
    return {
        "display_name": f"New {n}",
        "email": f"new{n}@example.com",
        "password": "long-enough-pw",
        "role": "fan",
        "timezone": "UTC",
    }


def test_registration_is_rate_limited_on_the_page_and_the_api(app, limit):
    limit("RATELIMIT_REGISTER", "2 per minute")
    page = app.test_client()
    codes = []
    for n in range(3):
        page.delete_cookie("session")  # each attempt as a new visitor from the same address
        codes.append(post_form(page, "/register", {**_registration(n), "birth_year": "1990"}).status_code)
    assert codes == [303, 303, 429]
    api = app.test_client()
    codes = [api.post("/api/users", json=_registration(10 + n)).status_code for n in range(3)]
    assert codes == [201, 201, 429]
    assert api.post("/api/users", json=_registration(20)).json["error"]["code"] == "rate_limited"


def test_token_creation_is_rate_limited_even_with_the_right_password(client, limit):
    user = FanFactory()
    limit("RATELIMIT_TOKENS", "2 per minute")
    codes = [client.post("/api/tokens", json={"email": user.email, "password": PASSWORD}).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_the_booking_form_is_rate_limited_like_the_booking_api(client, login, limit):
    player = PlayerFactory()
    login(FanFactory())
    limit("RATELIMIT_BOOKING", "2 per minute")
    codes = [
        post_form(
            client, f"/players/{player.id}/book", {"start": weekday_at(10 + n).isoformat(), "duration": "30"}
        ).status_code
        for n in range(3)
    ]
    assert codes == [303, 303, 429]
    assert "Too many attempts" in post_form(client, f"/players/{player.id}/book", {}).get_data(as_text=True)


# --- Password hashing -----------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id_at_a_sane_cost(app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH_FAST", False)  # what every real environment uses
    stored = passwords.hash_password("correct-horse-battery")
    params = extract_parameters(stored)
    assert stored.startswith("$argon2id$") and params.type is Type.ID
    # At least OWASP's minimum for Argon2id (19 MiB, 2 passes); argon2-cffi's default is 64 MiB, 3 passes.
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2 and params.parallelism >= 1
    assert params.salt_len >= 16 and params.hash_len >= 32
    assert passwords.verify_password(stored, "correct-horse-battery")
    assert not passwords.verify_password(stored, "correct-horse-batterY")
    assert stored != passwords.hash_password("correct-horse-battery")  # salted
    # Only the test configuration turns the cost down.
    assert [name for name, config in CONFIGS.items() if getattr(config, "PASSWORD_HASH_FAST", False)] == ["testing"]


def test_stored_passwords_are_argon2id_hashes(client):
    response = client.post(
        "/api/users",
        json={
            "email": "h@example.com",
            "password": "long-enough-pw",
            "display_name": "H",
            "role": "fan",
            "timezone": "UTC",
        },
    )
    assert response.status_code == 201
    stored = db.session.get(User, response.json["id"]).password_hash
    assert stored.startswith("$argon2id$") and "long-enough-pw" not in stored


# --- Security headers -----------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_hsts_in_production_and_staging(database_url, environment):
    deployed = create_app(environment, production_settings(SQLALCHEMY_DATABASE_URI=database_url))
    response = deployed.test_client().get("/healthz", base_url="https://kendama.example")
    hsts = response.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 180 * 24 * 3600
    assert "includeSubDomains" in hsts
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    with deployed.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/", "/players", "/login", "/api/players", "/players/999999", "/api/sessions/1"])
def test_every_kind_of_answer_carries_the_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1).split()
    assert script_src[0] == "'self'" and not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(script_src)
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "base-uri 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # testing is not production


def test_pages_carry_no_inline_scripts_or_handlers(client, login):
    login(PlayerFactory())
    for path in ("/", "/players", "/dashboard/", "/dashboard/availability", "/account"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html), path  # a script with a body
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), path  # onclick= and friends
        assert "/static/vendor/htmx.min.js" in html, path  # htmx runs, from this origin


# --- Avatars --------------------------------------------------------------------------------


def upload(client, data: bytes, name: str = "me.png"):
    return post_form(
        client,
        "/dashboard/profile",
        {"display_name": "K", "currency": "usd", "offer_30": "y", "price_30": "0", "avatar": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<!doctype html><script>alert(1)</script>",
        b"GIF89a" + b"\x00" * 64,
        b"\x89PNG",  # cut short: not even the signature
    ],
    ids=["svg", "html", "gif", "truncated"],
)
def test_avatars_are_judged_by_their_bytes_not_their_name(client, login, data):
    player = PlayerFactory()
    login(player)
    response = upload(client, data, "photo.png")
    assert response.status_code == 422
    assert "Choose a PNG, JPEG or WebP photo." in response.get_data(as_text=True)
    assert client.get(f"/players/{player.id}/avatar").status_code == 404


def test_oversized_avatars_are_refused(app, client, login):
    login(PlayerFactory())
    response = upload(client, PNG + b"\x00" * app.config["AVATAR_MAX_BYTES"])
    assert response.status_code == 422 and "under 2 MB" in response.get_data(as_text=True)
    too_big_for_any_request = upload(client, PNG + b"\x00" * app.config["MAX_CONTENT_LENGTH"])
    assert too_big_for_any_request.status_code == 413


def test_avatars_are_served_with_their_real_type_and_nosniff(client, login):
    player = PlayerFactory()
    login(player)
    assert upload(client, PNG, "innocent.html").status_code == 303  # the name never decides the type
    served = client.get(f"/players/{player.id}/avatar")
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == "inline"
    assert "default-src 'self'" in served.headers["Content-Security-Policy"]
