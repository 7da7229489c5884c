"""When the offline video sandbox may run, where it lives, and the key and secret it shares with the app.

The sandbox never runs with a real DAILY_API_KEY configured, nor where sandboxes are refused
(production, staging). Its API key and webhook secret are derived from SECRET_KEY, so the app
and the sandbox (the same process, or another worker of it) agree without extra settings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

from flask import Flask

PREFIX = "/_sandbox/video"


def enabled(app: Flask) -> bool:
    return not app.config.get("DAILY_API_KEY") and bool(app.config.get("SANDBOXES_ALLOWED"))


def refusal(app: Flask) -> str | None:
    """Why the sandbox is off, or None when it may run."""
    if app.config.get("DAILY_API_KEY"):
        return "A real DAILY_API_KEY is configured, so the offline video sandbox is off."
    if not app.config.get("SANDBOXES_ALLOWED"):
        return "The offline video sandbox never runs in production or staging."
    return None


def base_url(app: Flask) -> str:
    return (app.config.get("VIDEO_SANDBOX_URL") or f"{app.config['BASE_URL']}{PREFIX}").rstrip("/")


def _derive(app: Flask, purpose: str) -> bytes:
    return hmac.new(
        app.config["SECRET_KEY"].encode(), f"kendama.video-sandbox.{purpose}".encode(), hashlib.sha256
    ).digest()


def signing_key(app: Flask) -> bytes:
    """What the sandbox signs its meeting tokens and file links with."""
    return _derive(app, "signing")


def api_key(app: Flask) -> str:
    return "sandbox_" + _derive(app, "api-key").hex()[:32]


def webhook_secret(app: Flask) -> str:
    """Base64, like the secret Daily hands out; DAILY_WEBHOOK_SECRET wins when it is set."""
    return app.config.get("DAILY_WEBHOOK_SECRET") or base64.b64encode(_derive(app, "webhook")).decode()


def webhook_url(app: Flask) -> str:
    return f"{app.config['BASE_URL']}/webhooks/video"


def database_path(app: Flask) -> Path:
    return Path(app.config.get("VIDEO_SANDBOX_DB") or Path(app.instance_path) / "video_sandbox.sqlite3")


def ice_servers(app: Flask) -> list[dict]:
    """The STUN/TURN servers the call's browsers and the recorder use (VIDEO_SANDBOX_ICE_SERVERS)."""
    text = (app.config.get("VIDEO_SANDBOX_ICE_SERVERS") or "").strip()
    if not text:
        return []
    try:
        servers = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"VIDEO_SANDBOX_ICE_SERVERS is not JSON: {exc}") from exc
    if not isinstance(servers, list) or not all(_ice_server(s) for s in servers):
        raise ValueError(
            'VIDEO_SANDBOX_ICE_SERVERS must be a list of {"urls": ..., "username": ..., "credential": ...} objects.'
        )
    return servers


def _ice_server(server: object) -> bool:
    if not isinstance(server, dict) or set(server) - {"urls", "username", "credential"}:
        return False
    urls = server.get("urls")
    urls = [urls] if isinstance(urls, str) else urls
    return (
        bool(urls)
        and isinstance(urls, list)
        and all(isinstance(u, str) and u.split(":", 1)[0] in ("stun", "stuns", "turn", "turns") for u in urls)
    )
