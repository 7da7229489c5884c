"""Registration tells nobody who has an account, and refuses passwords that are easy to guess.

The page answers the same for a new address and for one with an account (the owner gets an
email instead); a new account waits for the link emailed to its address. The API keeps its
contract: 201 at once, 409 for a taken address. Both are rate limited per client and per email.
"""

from __future__ import annotations

import re

import pytest

from kendama.extensions import db, mail
from kendama.models import Notification, User
from kendama.services.accounts import accounts
from kendama.services.accounts.passwords import password_problem
from kendama.services.demo_data import DEMO_PASSWORD

from ..conftest import csrf_token_from, recipient
from ..support.account_helpers import confirm, confirmation_path, register_on_page
from ..support.factories import FanFactory

pytestmark = pytest.mark.both_databases

CHECK_EMAIL = "Check your email to finish creating your account"
WEAK = ("aaaaaaaaaa", "1234567890", "password12")


def follow(client, response) -> str:
    """The page a 303 leads to, without its CSRF token (each visitor's own)."""
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", page)


def test_the_page_answers_the_same_for_a_new_address_and_a_taken_one(client, app):
    FanFactory(email="taken@example.com", display_name="Tess Taken")
    new, new_mail = register_on_page(client, "fresh@example.com", "long-enough-pw")
    taken, taken_mail = register_on_page(app.test_client(), "Taken@Example.com", "long-enough-pw")
    assert (new.status_code, new.headers["Location"]) == (taken.status_code, taken.headers["Location"])
    assert CHECK_EMAIL in follow(client, new)
    assert follow(app.test_client(), taken) == follow(app.test_client(), new)  # the very same page

    # The new address is sent its link; the owner of the taken one is told someone tried.
    (invite,) = new_mail
    assert recipient(invite) == "fresh@example.com" and "/register/confirm/" in invite.body
    (warning,) = taken_mail
    assert recipient(warning) == "taken@example.com"
    assert "tried to create a new Kendama Live account" in warning.body
    assert "http://localhost/login" in warning.body and "http://localhost/password/forgot" in warning.body
    assert "/register/confirm/" not in warning.body
    owner = db.session.scalar(db.select(User).where(User.email == "taken@example.com"))
    assert owner.display_name == "Tess Taken" and accounts.authenticate("taken@example.com", "correct-horse-battery")


def test_a_new_account_waits_for_its_link_then_signs_in_with_the_chosen_password(client, app):
    response, sent = register_on_page(client, "wait@example.com", "long-enough-pw", role="player")
    assert response.status_code == 303
    user = db.session.scalar(db.select(User).where(User.email == "wait@example.com"))
    assert user.email_confirmed_at is None and client.get("/dashboard/").status_code == 302
    # Until the link is opened the account cannot sign in: the right password gets a new link.
    refused = app.test_client()
    with mail.record_messages() as resent:
        answer = refused.post(
            "/login",
            data={"csrf_token": csrf_token_from(refused), "email": "wait@example.com", "password": "long-enough-pw"},
        )
    assert answer.status_code == 403 and "not finished yet" in answer.get_data(as_text=True)
    assert "/register/confirm/" in resent[0].body
    token = app.test_client().post("/api/tokens", json={"email": "wait@example.com", "password": "long-enough-pw"})
    assert token.status_code == 403 and token.json["error"]["code"] == "email_unconfirmed"

    path = confirmation_path(sent)
    assert client.get(path).status_code == 200
    assert db.session.get(User, user.id).email_confirmed_at is None  # opening the link changes nothing
    wrong = client.post(path, data={"csrf_token": csrf_token_from(client), "password": "not-the-password"})
    assert wrong.status_code == 422 and "not the password you chose" in wrong.get_data(as_text=True)
    done = confirm(client, path, "long-enough-pw")
    assert done.status_code == 303 and done.headers["Location"] == "/dashboard/profile"
    assert client.get("/dashboard/").status_code == 200
    assert db.session.get(User, user.id).email_confirmed_at is not None
    # The link works once.
    again = app.test_client().get(path)
    assert again.status_code == 403 and "ready already" in again.get_data(as_text=True)


def test_confirmation_links_expire_cannot_be_altered_and_die_with_a_newer_registration(client, app, monkeypatch):
    _, first = register_on_page(client, "twice@example.com", "long-enough-pw")
    _, second = register_on_page(client, "twice@example.com", "another-pass-2", display_name="Nia Again")
    old, new = confirmation_path(first), confirmation_path(second)
    assert app.test_client().get(old).status_code == 403  # the newer registration's details win
    assert app.test_client().get(new[:-2] + ("AA" if not new.endswith("AA") else "BB")).status_code == 403
    monkeypatch.setitem(app.config, "EMAIL_CONFIRMATION_SECONDS", -1)
    expired = app.test_client().get(new)
    assert expired.status_code == 403 and "expired" in expired.get_data(as_text=True)
    monkeypatch.setitem(app.config, "EMAIL_CONFIRMATION_SECONDS", 3600)
    assert confirm(client, new, "another-pass-2").status_code == 303
    user = db.session.scalar(db.select(User).where(User.email == "twice@example.com"))
    assert user.display_name == "Nia Again"


def test_someone_elses_registration_of_an_address_is_taken_back_by_its_owner(client, app):
    """A registration of an address one does not own can never be finished, and the owner's replaces it."""
    _, squatted = register_on_page(app.test_client(), "victim@example.com", "squatters-pass-77", role="player")
    owner = app.test_client()
    # The owner, following the squatter's link, cannot finish it: it wants the squatter's password.
    squatter_link = confirmation_path(squatted)
    assert confirm(owner, squatter_link, "victims-own-pass-3").status_code == 422
    _, own = register_on_page(owner, "victim@example.com", "victims-own-pass-3", role="fan")
    assert confirm(owner, confirmation_path(own), "victims-own-pass-3").status_code == 303
    user = db.session.scalar(db.select(User).where(User.email == "victim@example.com"))
    assert user.role == "fan" and user.profile is None
    assert accounts.authenticate("victim@example.com", "squatters-pass-77") is None


def test_guessing_the_password_on_the_confirmation_page_is_rate_limited(client, app, monkeypatch):
    _, sent = register_on_page(client, "guess@example.com", "long-enough-pw")
    path = confirmation_path(sent)
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "2 per minute")
    codes = [confirm(client, path, f"guess-number-{n}").status_code for n in range(3)]
    assert codes == [422, 422, 429]


def test_a_password_reset_finishes_a_waiting_account(client):
    register_on_page(client, "reset-wait@example.com", "long-enough-pw")
    user = db.session.scalar(db.select(User).where(User.email == "reset-wait@example.com"))
    accounts.reset_password(accounts.password_reset_token(user), "reset-password-1")
    assert accounts.authenticate("reset-wait@example.com", "reset-password-1").id == user.id


def test_the_api_keeps_its_contract_an_account_at_once_and_409_for_a_taken_address(client):
    body = {
        "email": "api@example.com",
        "password": "long-enough-pw",
        "display_name": "A",
        "role": "fan",
        "timezone": "UTC",
    }
    assert client.post("/api/users", json=body).status_code == 201
    assert client.post("/api/tokens", json={"email": body["email"], "password": body["password"]}).status_code == 201
    assert client.post("/api/users", json=body).status_code == 409


def test_registration_is_rate_limited_per_email_over_the_page_and_the_api(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_REGISTER_EMAIL", "2 per hour")
    answers = [register_on_page(app.test_client(), "flood@example.com", "long-enough-pw")[0].status_code]
    body = {"email": "FLOOD@example.com", "password": "long-enough-pw", "display_name": "F", "role": "fan"}
    answers.append(app.test_client().post("/api/users", json={**body, "timezone": "UTC"}).status_code)
    answers.append(register_on_page(app.test_client(), "flood@example.com", "long-enough-pw")[0].status_code)
    answers.append(app.test_client().post("/api/users", json={**body, "timezone": "UTC"}).status_code)
    assert answers == [303, 409, 429, 429]
    # Other addresses are not held up, and answers that sent nothing (a form error) do not count.
    assert register_on_page(client, "calm@example.com", "long-enough-pw", timezone="")[0].status_code == 422
    assert register_on_page(client, "calm@example.com", "long-enough-pw")[0].status_code == 303
    sent = db.session.scalars(db.select(Notification.kind).join(User).where(User.email == "flood@example.com"))
    assert list(sent) == ["confirm_email"]


def test_registration_is_rate_limited_per_client_address(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_REGISTER", "2 per minute")
    codes = [register_on_page(client, f"many{n}@example.com", "long-enough-pw")[0].status_code for n in range(3)]
    assert codes == [303, 303, 429]


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused_with_advice_on_the_page_and_in_the_api(client, weak):
    response, sent = register_on_page(client, "weak@example.com", weak)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and sent == []
    assert "too easy to guess" in html and 'aria-describedby="password-help password-error"' in html
    api = client.post(
        "/api/users",
        json={"email": "weak@example.com", "password": weak, "display_name": "W", "role": "fan", "timezone": "UTC"},
    )
    assert api.status_code == 422 and "too easy to guess" in api.json["error"]["fields"]["password"]
    assert db.session.scalar(db.select(User).where(User.email == "weak@example.com")) is None


def test_a_password_made_of_the_users_own_name_and_email_is_weak():
    assert password_problem("nia.tamaki@example.com", ("nia.tamaki@example.com", "Nia Tamaki"))
    assert password_problem("nia.tamaki@example.com", ("someone@example.com", "Someone")) is None


def test_the_passwords_people_are_told_to_use_are_strong_enough():
    """The README's demo password and the smoke check's must keep working."""
    assert password_problem(DEMO_PASSWORD, ("fan@example.com", "Finn Fan")) is None
    assert password_problem("correct-horse-battery-9", ("smoke@example.org", "Smoke")) is None
    assert password_problem("smoke-admin-password-1", ("admin@smoke.example.org", "Administrator")) is None


def test_create_admin_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "boss@example.com", "--password", "password12"])
    assert result.exit_code != 0 and "too easy to guess" in result.output
    assert db.session.scalar(db.select(User).where(User.email == "boss@example.com")) is None
