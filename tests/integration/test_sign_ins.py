"""Sign-ins live on the server: signing out, signing out everywhere and a new password end them.

A copied session or remember-me cookie is replayed after each, and must not work; API tokens
end with a password change, a reset and "sign out everywhere".
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from kendama.extensions import db
from kendama.models import ApiToken, SignIn, utcnow
from kendama.services.accounts import accounts, sign_ins

from ..conftest import csrf_token_from
from ..support.factories import PASSWORD, FanFactory

pytestmark = pytest.mark.both_databases

NEW_PASSWORD = "a-brand-new-pw"


def signed_in_browser(app, user, remember: bool = False):
    """A browser signed in through the form."""
    browser = app.test_client()
    data = {"csrf_token": csrf_token_from(browser), "email": user.email, "password": PASSWORD}
    response = browser.post("/login", data={**data, "remember": "y"} if remember else data)
    assert response.status_code == 303
    return browser


def cookies_of(browser) -> dict[str, str]:
    return {name: browser.get_cookie(name).value for name in ("session", "remember_token") if browser.get_cookie(name)}


def replayed(app, cookies: dict[str, str]):
    """Another browser holding a copy of these cookies."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def is_signed_in(browser) -> bool:
    return browser.get("/dashboard/").status_code == 200


def post(browser, path: str, data: dict | None = None):
    return browser.post(path, data={"csrf_token": csrf_token_from(browser), **(data or {})})


def test_a_copied_session_cookie_stops_working_when_its_owner_signs_out(app):
    user = FanFactory()
    browser = signed_in_browser(app, user)
    copied = cookies_of(browser)
    assert is_signed_in(replayed(app, copied))
    assert post(browser, "/logout").status_code == 303
    assert not is_signed_in(browser)
    assert not is_signed_in(replayed(app, copied))


def test_a_copied_remember_me_cookie_stops_working_after_sign_out(app):
    user = FanFactory()
    browser = signed_in_browser(app, user, remember=True)
    remember = {"remember_token": browser.get_cookie("remember_token").value}
    assert is_signed_in(replayed(app, remember))  # the cookie alone signs a browser in again
    assert post(browser, "/logout").status_code == 303
    assert browser.get_cookie("remember_token") is None  # the browser's own copy is deleted
    assert not is_signed_in(replayed(app, remember))


def test_remember_me_lasts_30_days_on_the_server_too(app):
    user = FanFactory()
    browser = signed_in_browser(app, user, remember=True)
    cookie = browser.get_cookie("remember_token")
    assert timedelta(days=29) < cookie.expires - utcnow() <= timedelta(days=30)
    (remembered,) = db.session.scalars(db.select(SignIn).where(SignIn.user_id == user.id))
    assert remembered.remembered and timedelta(days=29) < remembered.expires_at - utcnow() <= timedelta(days=30)
    short = signed_in_browser(app, FanFactory())
    assert short.get_cookie("remember_token") is None


def test_an_expired_sign_in_is_signed_out(app, monkeypatch):
    user = FanFactory()
    browser = signed_in_browser(app, user)
    later = utcnow() + timedelta(hours=app.config["SIGN_IN_HOURS"], minutes=1)
    monkeypatch.setattr(sign_ins, "utcnow", lambda: later)
    assert not is_signed_in(browser)


def test_sign_out_everywhere_ends_every_browser_and_api_token(app, client, api_token):
    user = FanFactory()
    laptop, phone = signed_in_browser(app, user), signed_in_browser(app, user, remember=True)
    phone_cookies = cookies_of(phone)
    headers = api_token(user)
    other_user = FanFactory()
    bystander = signed_in_browser(app, other_user)
    page = laptop.get("/account").get_data(as_text=True)
    assert 'action="/account/sign-out-everywhere"' in page
    assert laptop.post("/account/sign-out-everywhere").status_code == 400  # CSRF, like every form
    assert is_signed_in(phone)
    response = post(laptop, "/account/sign-out-everywhere")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert not is_signed_in(laptop) and not is_signed_in(phone) and not is_signed_in(replayed(app, phone_cookies))
    assert client.get("/api/users/me", headers=headers).status_code == 401
    assert is_signed_in(bystander)  # someone else's sign-ins are theirs


def test_a_password_change_on_the_page_ends_other_sign_ins_and_tokens_but_keeps_this_browser(app, client, api_token):
    user = FanFactory()
    browser, other = signed_in_browser(app, user, remember=True), signed_in_browser(app, user)
    old_cookies = cookies_of(browser)
    headers = api_token(user)
    response = post(
        browser,
        "/account/password",
        {"pw-current_password": PASSWORD, "pw-new_password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert is_signed_in(browser) and not is_signed_in(other)
    assert not is_signed_in(replayed(app, old_cookies))  # the cookies from before the change
    assert client.get("/api/users/me", headers=headers).status_code == 401
    # This browser was remembered, and still is, with a new cookie.
    assert is_signed_in(replayed(app, {"remember_token": browser.get_cookie("remember_token").value}))


def test_a_weak_new_password_is_refused_with_advice_on_the_page(app):
    user = FanFactory()
    browser = signed_in_browser(app, user)
    data = {"pw-current_password": PASSWORD, "pw-new_password": "password12", "pw-confirm": "password12"}
    response = post(browser, "/account/password", data)
    assert response.status_code == 422 and "too easy to guess" in response.get_data(as_text=True)
    assert accounts.authenticate(user.email, PASSWORD) is not None


def test_a_password_reset_ends_every_sign_in_and_token(app, client, api_token):
    user = FanFactory()
    browser = signed_in_browser(app, user, remember=True)
    copied = cookies_of(browser)
    headers = api_token(user)
    token = accounts.password_reset_token(user)
    weak = post(app.test_client(), f"/password/reset/{token}", {"password": "1234567890", "confirm": "1234567890"})
    assert weak.status_code == 422 and "too easy to guess" in weak.get_data(as_text=True)
    reset = post(app.test_client(), f"/password/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 303
    assert not is_signed_in(browser) and not is_signed_in(replayed(app, copied))
    assert client.get("/api/users/me", headers=headers).status_code == 401


def test_the_api_password_change_ends_every_token_this_one_too_and_every_sign_in(app, client, api_token):
    user = FanFactory()
    calling, other_token = api_token(user), api_token(user)
    browser = signed_in_browser(app, user)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = client.put("/api/users/me/password", json=body, headers=calling)
    assert response.status_code == 204 and response.data == b""
    for headers in (calling, other_token):
        assert client.get("/api/users/me", headers=headers).status_code == 401
    assert not is_signed_in(browser)
    assert client.post("/api/tokens", json={"email": user.email, "password": NEW_PASSWORD}).status_code == 201
    live = db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    assert len(list(live)) == 1


def test_the_api_password_change_refuses_a_wrong_current_password_and_a_weak_new_one(client, api_token):
    user = FanFactory()
    headers = api_token(user)
    wrong = client.put(
        "/api/users/me/password",
        json={"current_password": "not-the-password", "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert wrong.status_code == 403 and wrong.json["error"]["code"] == "wrong_password"
    weak = client.put(
        "/api/users/me/password", json={"current_password": PASSWORD, "new_password": "aaaaaaaaaa"}, headers=headers
    )
    assert weak.status_code == 422 and "too easy to guess" in weak.json["error"]["fields"]["new_password"]
    assert client.get("/api/users/me", headers=headers).status_code == 200  # nothing changed
    assert client.put("/api/users/me/password", json={"current_password": PASSWORD}, headers=headers).status_code == 422


def test_wrong_current_passwords_are_rate_limited(app, client, api_token, monkeypatch):
    user = FanFactory()
    headers = api_token(user)
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "2 per minute")
    body = {"current_password": "not-the-password", "new_password": NEW_PASSWORD}
    codes = [client.put("/api/users/me/password", json=body, headers=headers).status_code for _ in range(3)]
    assert codes == [403, 403, 429]


def test_wrong_current_passwords_on_the_page_are_rate_limited(app, monkeypatch):
    browser = signed_in_browser(app, FanFactory())
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "2 per minute")
    data = {"pw-current_password": "not-the-password", "pw-new_password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD}
    codes = [post(browser, "/account/password", data).status_code for _ in range(3)]
    assert codes == [403, 403, 429]


def test_the_browser_api_password_change_needs_the_csrf_header(app):
    user = FanFactory()
    browser = signed_in_browser(app, user)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert browser.put("/api/users/me/password", json=body).status_code in (400, 403)
    changed = browser.put("/api/users/me/password", json=body, headers={"X-CSRFToken": csrf_token_from(browser)})
    assert changed.status_code == 204
    assert not is_signed_in(browser)  # the contract: every browser sign-in ends, the caller's too


def test_dead_sign_ins_and_tokens_are_purged_and_live_ones_kept(app, api_token):
    user = FanFactory()
    live = signed_in_browser(app, user)
    post(signed_in_browser(app, user), "/logout")
    api_token(user)
    expired = ApiToken(user_id=user.id, token_hash="0" * 64, expires_at=utcnow() - timedelta(seconds=1))
    db.session.add(expired)
    db.session.commit()
    assert sign_ins.purge_dead() == 2
    assert is_signed_in(live)
    assert db.session.scalar(db.select(db.func.count()).select_from(SignIn)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 1
