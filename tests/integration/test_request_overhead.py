"""What every request pays: bearer tokens load with their user in one query; the request log
names the user without reloading them after a commit."""

from __future__ import annotations

import logging

from sqlalchemy import event

from kendama.extensions import db
from kendama.services.accounts import api_tokens

from ..support.factories import FanFactory


def test_a_bearer_token_and_its_user_load_in_one_query(app):
    fan = FanFactory()
    raw, _ = api_tokens.issue_token(fan)
    name = fan.display_name
    db.session.expunge_all()
    seen = []
    record = lambda *args: seen.append(args[2])  # noqa: E731
    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        user, _ = api_tokens.user_for_token(raw)
        assert user.display_name == name
    finally:
        event.remove(bind, "before_cursor_execute", record)
    assert len([s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE"))]) == 1


def test_the_request_log_names_the_user_after_a_commit(client, api_token, caplog):
    fan = FanFactory()
    headers = api_token(fan)
    with caplog.at_level(logging.INFO, logger="kendama.requests"):
        response = client.post("/api/sessions", headers=headers, json={"player_id": 0})
    assert response.status_code in (404, 422)
    logged = [r.fields for r in caplog.records if r.name == "kendama.requests"]
    assert logged[-1]["user_id"] == fan.id and logged[-1]["status"] == response.status_code
