"""Which video provider the app uses: the one the VIDEO_PROVIDER setting names.

Unset, it is `daily` when DAILY_API_KEY is set, and `sandbox` (the offline stand-in) where
sandboxes are allowed; with neither (production or staging before its keys) video is off. The
services, the join page and the Content-Security-Policy ask the provider found here, so a new
provider is one module with a VideoProvider class and one line in PROVIDERS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from .base import CallFrame, VideoNotConfigured, VideoProvider
from .daily import DailyVideo
from .sandbox.provider import SandboxVideo

PROVIDERS: dict[str, type[VideoProvider]] = {
    "daily": DailyVideo,
    "sandbox": SandboxVideo,
}
# While video is off the join page is laid out for production's provider; joining says it is off.
OFF_FRAME = DailyVideo.call_frame


class UnknownVideoProvider(ValueError):
    """VIDEO_PROVIDER names no provider of PROVIDERS: a configuration mistake, refused at start."""


def provider_name(config: Mapping[str, Any]) -> str | None:
    """VIDEO_PROVIDER, or its default when unset; None when there is nothing to default to."""
    name = config.get("VIDEO_PROVIDER")
    if not name:
        if config.get("DAILY_API_KEY"):
            return "daily"
        return "sandbox" if config.get("SANDBOXES_ALLOWED") else None
    if name not in PROVIDERS:
        raise UnknownVideoProvider(
            f"VIDEO_PROVIDER is {name!r}, which names no video provider: use one of {', '.join(PROVIDERS)}."
        )
    return name


def provider_class(config: Mapping[str, Any]) -> type[VideoProvider] | None:
    """The chosen provider's class (its attributes say what the page and the CSP need), if any."""
    name = provider_name(config)
    return PROVIDERS[name] if name else None


def provider() -> VideoProvider:
    """The configured provider; VideoNotConfigured when there is none or it cannot run here.

    One instance per provider and settings, so its HTTP connections are reused.
    """
    app: Flask = current_app._get_current_object()
    name = provider_name(app.config)
    if name is None:
        raise VideoNotConfigured(
            "DAILY_API_KEY is not set, and the offline video sandbox is refused in this environment: "
            "configure DAILY_API_KEY and DAILY_WEBHOOK_SECRET to enable video calls."
        )
    chosen = PROVIDERS[name]
    cache_key = (name, *(app.config.get(setting) for setting in chosen.settings))
    cache = app.extensions.setdefault("kendama.video", {})
    if cache_key not in cache:
        cache[cache_key] = chosen.from_config(app)
    return cache[cache_key]


def call_frame() -> CallFrame:
    """How the join page embeds the chosen provider's call."""
    chosen = provider_class(current_app.config)
    return chosen.call_frame if chosen else OFF_FRAME
