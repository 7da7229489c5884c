"""VIDEO_SANDBOX_ICE_SERVERS: empty by default (host candidates only), else a list of RTCIceServer
objects, and anything else stops the app at start with the reason."""

from __future__ import annotations

import pytest
from flask import Flask

from kendama import create_app
from kendama.integrations.video.sandbox import config


def app_with(value: str) -> Flask:
    app = Flask("ice")
    app.config["VIDEO_SANDBOX_ICE_SERVERS"] = value
    return app


def test_no_setting_means_host_candidates_only():
    assert config.ice_servers(app_with("")) == []


def test_stun_and_turn_servers_are_passed_on_as_given():
    servers = (
        '[{"urls": "stun:stun.example.org:3478"}, {"urls": ["turn:t.example.org"], "username": "u", "credential": "p"}]'
    )
    assert config.ice_servers(app_with(servers))[1]["username"] == "u"


@pytest.mark.parametrize(
    "value",
    ["not json", '{"urls": "stun:x"}', '[{"urls": "http://x"}]', '[{"urls": []}]', '[{"url": "stun:x"}]', "[1]"],
)
def test_anything_else_is_refused_with_the_reason(value):
    with pytest.raises(ValueError, match="VIDEO_SANDBOX_ICE_SERVERS"):
        config.ice_servers(app_with(value))


def test_the_app_does_not_start_on_a_malformed_setting(tmp_path):
    with pytest.raises(ValueError, match="VIDEO_SANDBOX_ICE_SERVERS"):
        create_app("testing", {"VIDEO_SANDBOX_ICE_SERVERS": "[oops"}, instance_path=tmp_path)
