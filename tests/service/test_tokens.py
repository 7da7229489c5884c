"""API bearer tokens: only a live token of an active account signs a request in."""

from __future__ import annotations

from datetime import timedelta

from kendama.extensions import db
from kendama.models import utcnow
from kendama.services.accounts import api_tokens

from ..support.factories import FanFactory


def test_a_live_token_gives_its_user_and_token():
    fan = FanFactory()
    raw, issued = api_tokens.issue_token(fan)
    user, token = api_tokens.user_for_token(raw)
    assert (user.id, token.id) == (fan.id, issued.id)


def test_unknown_empty_revoked_and_expired_tokens_give_nothing():
    fan = FanFactory()
    revoked, revoked_token = api_tokens.issue_token(fan)
    api_tokens.revoke_token(revoked_token.id)
    expired, expired_token = api_tokens.issue_token(fan)
    expired_token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    for raw in ("", "not-a-token", revoked, expired):
        assert api_tokens.user_for_token(raw) is None


def test_a_deactivated_account_is_signed_out():
    fan = FanFactory()
    raw, _ = api_tokens.issue_token(fan)
    fan.is_active_account = False
    db.session.commit()
    assert api_tokens.user_for_token(raw) is None
