"""The video provider, chosen from the configuration.

With DAILY_API_KEY set, the Daily adapter talks to Daily (DAILY_API_URL) and the sandbox is never
used. Without it, where sandboxes are allowed, the same adapter talks to the offline sandbox
under BASE_URL/_sandbox/video. Production and staging without a key refuse: VideoNotConfigured.
"""

from __future__ import annotations

from flask import current_app

from .base import (
    AccessLink,
    InvalidWebhook,
    ProviderNotFound,
    ProviderRecording,
    ProviderRejected,
    ProviderTranscript,
    ProviderUnreachable,
    Room,
    RoomSpec,
    VideoEvent,
    VideoProvider,
    VideoProviderError,
)
from .daily import DailyVideo
from .sandbox import config as sandbox_config
from .sandbox.wsgi_transport import WSGITransport

__all__ = [
    "AccessLink",
    "InvalidWebhook",
    "ProviderNotFound",
    "ProviderRecording",
    "ProviderRejected",
    "ProviderTranscript",
    "ProviderUnreachable",
    "Room",
    "RoomSpec",
    "VideoEvent",
    "VideoNotConfigured",
    "VideoProvider",
    "VideoProviderError",
    "provider",
    "uses_sandbox",
]


class VideoNotConfigured(VideoProviderError):
    """No DAILY_API_KEY where the sandbox may not stand in."""


def _settings() -> tuple[str, str, str | None, bool]:
    app = current_app
    key = app.config.get("DAILY_API_KEY")
    if key:
        return app.config["DAILY_API_URL"], key, app.config.get("DAILY_WEBHOOK_SECRET"), False
    if not sandbox_config.enabled(app):
        raise VideoNotConfigured(
            "DAILY_API_KEY is not set, and the offline video sandbox is refused in this environment: "
            "configure DAILY_API_KEY and DAILY_WEBHOOK_SECRET to enable video calls."
        )
    return sandbox_config.base_url(app), sandbox_config.api_key(app), sandbox_config.webhook_secret(app), True


def provider() -> VideoProvider:
    """The configured provider; one per configuration, so its HTTP connections are reused."""
    base_url, key, secret, sandbox = _settings()
    in_process = sandbox and _serves_its_own_sandbox()
    cache_key = (base_url, key, secret, in_process, current_app.config["DAILY_TIMEOUT_SECONDS"])
    cache = current_app.extensions.setdefault("kendama.video", {})
    if cache_key not in cache:
        adapter = DailyVideo(base_url, key, secret, timeout_seconds=current_app.config["DAILY_TIMEOUT_SECONDS"])
        if in_process:
            transport = WSGITransport(current_app._get_current_object())
            adapter.http.mount(base_url, transport)
            adapter.files.mount(base_url, transport)
        cache[cache_key] = adapter
    return cache[cache_key]


def _serves_its_own_sandbox() -> bool:
    """The embedded default: the sandbox is this app's (no VIDEO_SANDBOX_URL elsewhere)."""
    config = current_app.config
    return config.get("VIDEO_SANDBOX_TRANSPORT", "auto") == "auto" and not config.get("VIDEO_SANDBOX_URL")


def uses_sandbox() -> bool:
    try:
        return _settings()[3]
    except VideoNotConfigured:
        return False
