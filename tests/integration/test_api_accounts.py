"""POST /api/users, POST /api/tokens, DELETE /api/tokens/current, through HTTP on PostgreSQL."""

import pytest

from kendama.extensions import db
from kendama.models import ApiToken, Profile, User

from ..support.factories import FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def register(client, **overrides):
    body = {
        "email": "new@example.com",
        "password": "long-enough-pw",
        "display_name": "New Fan",
        "role": "fan",
        "timezone": "Europe/Prague",
    } | overrides
    return client.post("/api/users", json=body)


def test_register_creates_account(client):
    response = register(client)
    assert response.status_code == 201
    assert response.json == {
        "id": response.json["id"],
        "email": "new@example.com",
        "display_name": "New Fan",
        "role": "fan",
        "timezone": "Europe/Prague",
    }
    user = db.session.get(User, response.json["id"])
    assert user.password_hash.startswith("$argon2id$")


def test_register_player_gets_profile(client):
    response = register(client, role="player", email="p@example.com")
    assert response.status_code == 201
    assert db.session.get(Profile, response.json["id"]) is not None


def test_duplicate_email_is_409_case_insensitive(client):
    assert register(client).status_code == 201
    response = register(client, email="NEW@example.com")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "email_taken"


def test_register_bad_fields_are_422_with_messages_and_create_nothing(client):
    before = db.session.query(User).count()
    response = register(client, email="nope", password="short", timezone="Mars/Base", display_name="")
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert set(fields) == {"email", "password", "timezone", "display_name"}
    assert db.session.query(User).count() == before


def test_register_cannot_make_admin(client):
    response = register(client, role="admin")
    assert response.status_code == 422
    assert "role" in response.json["error"]["fields"]


def test_malformed_bodies_are_400(client):
    assert client.post("/api/users", data="not json", content_type="application/json").status_code == 400
    assert client.post("/api/users", data="email=x").status_code == 400
    assert client.post("/api/users", json=[1, 2]).status_code == 400


def test_wrong_types_are_422_not_500(client):
    response = register(client, password=12345678901)
    assert response.status_code == 422
    assert "password" in response.json["error"]["fields"]


def test_token_lifecycle(client, password):
    user = FanFactory()
    response = client.post("/api/tokens", json={"email": user.email, "password": password})
    assert response.status_code == 201
    token = response.json["token"]
    assert response.json["user"]["id"] == user.id
    assert response.json["expires_at"].endswith("Z")
    stored = db.session.query(ApiToken).filter_by(user_id=user.id).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64

    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/users/me", headers=headers).json["id"] == user.id
    assert client.delete("/api/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/users/me", headers=headers).status_code == 401


def test_wrong_credentials_same_answer_for_unknown_email(client, password):
    user = FanFactory()
    wrong = client.post("/api/tokens", json={"email": user.email, "password": "wrong-password"})
    unknown = client.post("/api/tokens", json={"email": "ghost@example.com", "password": password})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_repeated_token_failures_are_rate_limited(app, client):
    user = FanFactory()
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    try:
        responses = []
        for _ in range(4):
            response = client.post("/api/tokens", json={"email": user.email, "password": "wrong-password"})
            responses.append((response.status_code, response.get_json(), response.headers.get("Retry-After")))
    finally:
        app.config["RATELIMIT_LOGIN"] = "1000 per minute"
    assert [status for status, _, _ in responses] == [401, 401, 401, 429]
    assert responses[-1][1]["error"]["code"] == "rate_limited"
    assert responses[-1][2] == "60"  # the client is told when to try again
    assert all(retry is None for _, _, retry in responses[:-1])


def test_garbage_bearer_is_401(client):
    response = client.get("/api/users/me", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "not_authenticated"


def test_nul_characters_are_400_not_500(client):
    assert client.get("/api/players?q=a%00b").status_code == 400
    assert client.get("/players?q=a%00b").status_code == 400
    response = register(client, display_name="bad\x00name")
    assert response.status_code == 400 and response.json["error"]["code"] == "malformed"


def test_bearer_token_works_for_a_client_that_also_holds_a_cookie(client, password):
    user = FanFactory()
    client.get("/")  # the client now has an anonymous session cookie (CSRF token)
    token = client.post("/api/tokens", json={"email": user.email, "password": password}).json["token"]
    response = client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json["id"] == user.id


def test_weak_hashes_are_upgraded_at_sign_in(password):
    from argon2 import PasswordHasher

    from kendama.services.accounts import accounts

    user = FanFactory(password_hash=PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(password))
    old_hash = user.password_hash
    assert accounts.authenticate(user.email, password) is not None
    upgraded = db.session.get(User, user.id).password_hash
    assert upgraded != old_hash and "m=1024" in upgraded
    assert accounts.authenticate(user.email, password) is not None
    assert db.session.get(User, user.id).password_hash == upgraded  # no needless rehash


@pytest.mark.parametrize("length", [81, 150, 200, 201])
def test_one_name_rule_in_the_api_registration_and_profile(client, api_token, length):
    """The API said 200 characters and the services 80: now one rule, one message, wherever a name is set."""
    message = "Enter a name of 1 to 80 characters."
    refused = register(client, display_name="n" * length)
    assert refused.status_code == 422 and refused.json["error"]["fields"]["display_name"] == message
    player = PlayerFactory()
    changed = client.put("/api/users/me/profile", headers=api_token(player), json={"display_name": "n" * length})
    assert changed.status_code == 422 and changed.json["error"]["fields"]["display_name"] == message
    assert register(client, display_name="n" * 80).status_code == 201
