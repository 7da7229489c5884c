"""The video provider comes from the registry, keyed by VIDEO_PROVIDER, and so do the join page's
call frame and the Content-Security-Policy's video origins."""

from __future__ import annotations

import pytest

from kendama import create_app
from kendama.integrations.video import VideoNotConfigured, registry
from kendama.integrations.video.daily import DailyVideo
from kendama.integrations.video.sandbox.provider import SandboxVideo
from kendama.web.security import content_security_policy

from ..support.deployed import production_settings


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"DAILY_API_KEY": "real-key", "SANDBOXES_ALLOWED": True}, "daily"),
        ({"DAILY_API_KEY": None, "SANDBOXES_ALLOWED": True}, "sandbox"),
        ({"DAILY_API_KEY": None, "SANDBOXES_ALLOWED": False}, None),
        ({"VIDEO_PROVIDER": "daily", "DAILY_API_KEY": None, "SANDBOXES_ALLOWED": True}, "daily"),
        ({"VIDEO_PROVIDER": "sandbox", "DAILY_API_KEY": None, "SANDBOXES_ALLOWED": True}, "sandbox"),
    ],
    ids=["key", "no-key-sandboxes-allowed", "no-key-no-sandboxes", "daily-named", "sandbox-named"],
)
def test_video_provider_defaults_to_daily_with_a_key_and_the_sandbox_where_allowed(settings, expected):
    assert registry.provider_name(settings) == expected


def test_the_named_provider_is_the_one_built(app, monkeypatch):
    monkeypatch.setitem(app.config, "VIDEO_PROVIDER", "daily")
    monkeypatch.setitem(app.config, "DAILY_API_KEY", "real-key")
    daily = registry.provider()
    assert type(daily) is DailyVideo and daily.base_url == "https://api.daily.co/v1"
    assert registry.provider() is daily  # one instance while the settings stay
    assert registry.call_frame().kind == "daily" and registry.call_frame().script == "vendor/daily-js/daily.js"
    monkeypatch.setitem(app.config, "VIDEO_PROVIDER", "sandbox")
    monkeypatch.setitem(app.config, "DAILY_API_KEY", None)
    sandbox = registry.provider()
    assert type(sandbox) is SandboxVideo and sandbox.base_url.endswith("/_sandbox/video")
    assert sandbox.name == "daily"  # the API it speaks, as recordings and webhook records keep it
    assert (registry.call_frame().kind, registry.call_frame().script) == ("sandbox", None)


def test_a_named_provider_that_cannot_run_here_says_why(app, monkeypatch):
    monkeypatch.setitem(app.config, "VIDEO_PROVIDER", "daily")
    monkeypatch.setitem(app.config, "DAILY_API_KEY", None)
    with pytest.raises(VideoNotConfigured, match="DAILY_API_KEY is not set"):
        registry.provider()
    monkeypatch.setitem(app.config, "VIDEO_PROVIDER", "sandbox")
    monkeypatch.setitem(app.config, "SANDBOXES_ALLOWED", False)
    with pytest.raises(VideoNotConfigured, match="never runs in production or staging"):
        registry.provider()


def test_without_a_key_where_sandboxes_are_refused_video_is_off_as_before(app, monkeypatch):
    monkeypatch.setitem(app.config, "DAILY_API_KEY", None)
    monkeypatch.setitem(app.config, "SANDBOXES_ALLOWED", False)
    with pytest.raises(VideoNotConfigured) as off:
        registry.provider()
    assert str(off.value) == (
        "DAILY_API_KEY is not set, and the offline video sandbox is refused in this environment: "
        "configure DAILY_API_KEY and DAILY_WEBHOOK_SECRET to enable video calls."
    )
    assert registry.call_frame().kind == "daily"  # the page as production lays it out; joining says video is off


def test_an_unknown_video_provider_is_refused_clearly_and_the_app_does_not_start(database_url):
    with pytest.raises(registry.UnknownVideoProvider, match=r"VIDEO_PROVIDER is 'zoom'.*use one of daily, sandbox"):
        registry.provider_name({"VIDEO_PROVIDER": "zoom"})
    with pytest.raises(registry.UnknownVideoProvider, match="VIDEO_PROVIDER is 'zoom'"):
        create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None, "VIDEO_PROVIDER": "zoom"})


def test_the_content_security_policy_allows_what_the_provider_needs(app, monkeypatch):
    monkeypatch.setitem(app.config, "DAILY_API_KEY", "real-key")
    policy = content_security_policy(app)
    assert (
        "frame-src 'self' https://*.daily.co" in policy and "media-src 'self' blob: https://*.amazonaws.com" in policy
    )
    monkeypatch.setitem(app.config, "DAILY_API_KEY", None)
    policy = content_security_policy(app)
    assert "frame-src 'self';" in policy and "media-src 'self' blob:;" in policy
    monkeypatch.setitem(app.config, "VIDEO_EMBED_ORIGIN", "https://video.example")
    assert "frame-src 'self' https://video.example" in content_security_policy(app)


def test_production_without_a_key_allows_no_video_origin(database_url):
    production = create_app("production", production_settings(SQLALCHEMY_DATABASE_URI=database_url))
    policy = content_security_policy(production)
    assert "daily.co" not in policy and "amazonaws" not in policy
