"""What is missing from the configuration is for operators: the log and /readyz name it; people
joining a call are told only that video is not available."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from ..support.factories import PASSWORD
from ..support.video_support import session_at

pytestmark = pytest.mark.both_databases

CONFIGURATION_WORDS = ("DAILY", "STRIPE", "_KEY", "SECRET", "SANDBOX", "configure")


@pytest.fixture
def video_not_configured(app, monkeypatch):
    """Production's situation: no DAILY_API_KEY, and no sandbox may stand in."""
    monkeypatch.setitem(app.config, "DAILY_API_KEY", None)
    monkeypatch.setitem(app.config, "SANDBOXES_ALLOWED", False)


def test_joining_without_video_configured_names_no_setting_but_the_log_does(
    client, api_token, video_not_configured, caplog
):
    session = session_at(timedelta(minutes=5))
    with caplog.at_level(logging.ERROR, logger="kendama.services.video.recordings"):
        response = client.post(f"/api/sessions/{session.id}/join", headers=api_token(session.fan, PASSWORD))
    assert response.status_code == 503 and response.json["error"]["code"] == "video_not_configured"
    told = response.json["error"]["message"]
    assert "Video calls are not available on this site right now" in told
    assert not [word for word in CONFIGURATION_WORDS if word in told], told
    assert "DAILY_API_KEY is not set" in caplog.text


def test_the_join_page_names_no_setting_either(client, login, video_not_configured):
    session = session_at(timedelta(minutes=5))
    login(session.fan)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert not [word for word in ("DAILY_", "API_KEY", "WEBHOOK_SECRET") if word in page]


def test_readyz_reports_the_sandboxes_where_they_stand_in(client):
    answer = client.get("/readyz").json
    assert answer["configuration"] == {"payments": "sandbox", "video": "sandbox"}


def test_readyz_names_what_production_lacks_without_failing(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOXES_ALLOWED", False)
    monkeypatch.setitem(app.config, "DAILY_API_KEY", "daily-key")
    monkeypatch.setitem(app.config, "DAILY_WEBHOOK_SECRET", None)
    response = client.get("/readyz")
    assert response.json["configuration"] == {
        "payments": "not configured: STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET unset",
        "video": "not configured: DAILY_WEBHOOK_SECRET unset",
    }
    monkeypatch.setitem(app.config, "DAILY_WEBHOOK_SECRET", "c2VjcmV0")
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_configured")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "whsec_configured")
    assert client.get("/readyz").json["configuration"] == {"payments": "ok", "video": "ok"}


def test_healthz_stays_a_liveness_check(client):
    assert "configuration" not in client.get("/healthz").json
