"""Accounts and profiles through the HTML pages: real forms, real CSRF tokens."""

import re

import pytest

from kendama.extensions import db
from kendama.models import Profile, User

from ..conftest import csrf_token_from
from ..support.account_helpers import sign_up
from ..support.factories import AdminFactory, FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def post_form(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token_from(client), **data})


def test_register_sign_out_sign_in(client):
    response = sign_up(client, "nia@example.com", "long-enough-pw")
    assert response.status_code == 303 and response.headers["Location"] == "/players"
    assert client.get("/dashboard/").status_code == 200
    assert post_form(client, "/logout", {}).status_code == 303
    assert client.get("/dashboard/").status_code == 302
    response = post_form(client, "/login", {"email": "nia@example.com", "password": "long-enough-pw"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard/")


def test_register_errors_are_shown_by_field(client):
    response = post_form(
        client, "/register", {"display_name": "", "email": "bad", "password": "short", "role": "fan", "timezone": "UTC"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="error-summary"' in html
    assert 'aria-describedby="email-error"' in html and 'aria-invalid="true"' in html


def test_forms_without_csrf_are_refused(client):
    user = FanFactory()
    client.get("/")
    response = client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def test_wrong_password_is_401_and_says_so(client):
    user = FanFactory()
    response = post_form(client, "/login", {"email": user.email, "password": "nope-nope-nope"})
    assert response.status_code == 401
    assert "Email or password is not right." in response.get_data(as_text=True)


def test_login_rate_limit(app, client):
    user = FanFactory()
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    try:
        codes = [
            post_form(client, "/login", {"email": user.email, "password": "wrong-password"}).status_code
            for _ in range(3)
        ]
    finally:
        app.config["RATELIMIT_LOGIN"] = "1000 per minute"
    assert codes == [401, 401, 429]


def test_open_redirect_in_next_is_ignored(client, password):
    user = FanFactory()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post(
            f"/login?next={target}",
            data={"email": user.email, "password": password, "csrf_token": csrf_token_from(client)},
        )
        assert response.status_code == 303
        assert "evil" not in response.headers["Location"]
        post_form(client, "/logout", {})


def test_session_is_renewed_on_sign_in(client, login):
    user = FanFactory()
    client.get("/")
    before = client.get_cookie("session").value
    login(user)
    assert client.get_cookie("session").value != before


def test_change_password_signs_out_other_sessions(app, login, password):
    user = FanFactory()
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": password, "csrf_token": csrf_token_from(other)})
    assert other.get("/dashboard/").status_code == 200
    client = login(user)
    response = post_form(
        client,
        "/account/password",
        {"pw-current_password": password, "pw-new_password": "a-brand-new-pw", "pw-confirm": "a-brand-new-pw"},
    )
    assert response.status_code == 303
    assert client.get("/dashboard/").status_code == 200
    assert other.get("/dashboard/").status_code == 302


def test_password_reset_by_emailed_link(app, client):
    from kendama.services.accounts import accounts

    user = FanFactory()
    response = post_form(client, "/password/forgot", {"email": user.email})
    assert response.status_code == 303
    token = accounts.password_reset_token(db.session.get(User, user.id))
    response = post_form(
        client, f"/password/reset/{token}", {"password": "reset-password-1", "confirm": "reset-password-1"}
    )
    assert response.status_code == 303
    assert accounts.authenticate(user.email, "reset-password-1") is not None
    again = post_form(client, f"/password/reset/{token}", {"password": "another-pass-2", "confirm": "another-pass-2"})
    assert again.status_code == 403


def test_tampered_reset_link_is_refused(client):
    response = post_form(
        client, "/password/reset/not-a-token", {"password": "reset-password-1", "confirm": "reset-password-1"}
    )
    assert response.status_code == 403


def test_player_edits_profile_and_rates(client, login):
    player = PlayerFactory(setup__paid=True)
    login(player)
    page = client.get("/dashboard/profile")
    assert page.status_code == 200
    response = post_form(
        client,
        "/dashboard/profile",
        {
            "display_name": "Kenji",
            "bio": "Lunar specialist",
            "accepts_bookings": "y",
            "currency": "eur",
            "offer_15": "y",
            "price_15": "0",
            "offer_30": "y",
            "price_30": "24.50",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    profile = db.session.get(Profile, player.id)
    assert {(o.duration_minutes, o.price_amount) for o in profile.offerings} == {(15, 0), (30, 2450)}
    assert profile.currency == "eur" and profile.user.display_name == "Kenji"


def test_bad_price_shows_field_error(client, login):
    login(PlayerFactory())
    response = post_form(
        client, "/dashboard/profile", {"display_name": "K", "currency": "usd", "offer_30": "y", "price_30": "lots"}
    )
    assert response.status_code == 422
    assert "Enter an amount" in response.get_data(as_text=True)


def test_avatar_upload_is_validated(client, login):
    import io

    login(PlayerFactory())
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    fake = b"<script>alert(1)</script>"
    bad = client.post(
        "/dashboard/profile",
        data={
            "csrf_token": csrf_token_from(client),
            "display_name": "K",
            "currency": "usd",
            "avatar": (io.BytesIO(fake), "x.png"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    good = client.post(
        "/dashboard/profile",
        data={
            "csrf_token": csrf_token_from(client),
            "display_name": "K",
            "currency": "usd",
            "offer_30": "y",
            "price_30": "0",
            "avatar": (io.BytesIO(png), "me.png"),
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 303


def test_admin_verifies_from_console(client, login):
    player = PlayerFactory(setup__verified=False, display_name="Queue Quinn")
    login(AdminFactory())
    page = client.get("/admin/")
    assert "Queue Quinn" in page.get_data(as_text=True)
    response = post_form(client, f"/admin/players/{player.id}/verify", {"decision": "approve"})
    assert response.status_code == 303
    assert db.session.get(Profile, player.id).verification_state == "verified"


def test_non_admins_get_404_from_console(client, login):
    login(FanFactory())
    assert client.get("/admin/").status_code == 404


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in re.search(r"script-src[^;]*", csp).group(0)
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # production only


def test_pages_render_for_each_role(client, login):
    for user in (FanFactory(), PlayerFactory(), AdminFactory()):
        login(user)
        for path in ("/", "/players", "/dashboard/", "/account", "/policy"):
            assert client.get(path).status_code == 200, path
        post_form(client, "/logout", {})


def test_htmx_errors_are_retargeted_to_the_alert_slot(client):
    response = client.get("/players/999999", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#htmx-errors"
    assert 'class="alert alert-error"' in response.get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    assert 'id="htmx-errors" role="alert"' in page and '"responseHandling"' in page
