"""The offline sandbox as the app's video provider: Daily's adapter, pointed at the sandbox.

The sandbox answers Daily's REST API, so the adapter is Daily's own; what differs is where it
calls (BASE_URL/_sandbox/video, or VIDEO_SANDBOX_URL), the key and webhook secret it shares with
the sandbox (config.py), and the call itself, which runs in the sandbox's page on this site.
"""

from __future__ import annotations

from flask import Flask

from ..base import CallFrame, VideoNotConfigured
from ..daily import DailyVideo
from . import config
from .wsgi_transport import WSGITransport


class SandboxVideo(DailyVideo):
    """Daily's API as the offline sandbox answers it; `name` stays "daily", the API it speaks."""

    call_frame = CallFrame("sandbox")
    # The call page and the recordings are served by the sandbox, on this site's own origin.
    embed_origin = None
    media_origin = None
    settings = (
        "DAILY_API_KEY",
        "SANDBOXES_ALLOWED",
        "BASE_URL",
        "SECRET_KEY",
        "DAILY_WEBHOOK_SECRET",
        "DAILY_TIMEOUT_SECONDS",
        "VIDEO_SANDBOX_URL",
        "VIDEO_SANDBOX_TRANSPORT",
    )

    @classmethod
    def from_config(cls, app: Flask) -> SandboxVideo:
        refusal = config.refusal(app)
        if refusal:
            raise VideoNotConfigured(refusal)
        base_url = config.base_url(app)
        adapter = cls(
            base_url,
            config.api_key(app),
            config.webhook_secret(app),
            timeout_seconds=app.config["DAILY_TIMEOUT_SECONDS"],
        )
        if _serves_its_own_sandbox(app):
            transport = WSGITransport(app)
            adapter.http.mount(base_url, transport)
            adapter.files.mount(base_url, transport)
        return adapter


def _serves_its_own_sandbox(app: Flask) -> bool:
    """The embedded default: the sandbox is this app's (no VIDEO_SANDBOX_URL elsewhere)."""
    return app.config.get("VIDEO_SANDBOX_TRANSPORT", "auto") == "auto" and not app.config.get("VIDEO_SANDBOX_URL")
