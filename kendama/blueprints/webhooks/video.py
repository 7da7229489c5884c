"""POST /webhooks/video: the video provider's events, verified and applied once."""

from __future__ import annotations

from flask import current_app, jsonify, request

from ...services.video import webhooks
from . import bp


@bp.post("/video")
def video_webhook():
    # Unsigned or badly signed: webhooks.InvalidWebhook answers 400 through the one error mapping.
    # About a recording the provider does not know: 200 and "ignored" (see webhooks.handle_webhook).
    result = webhooks.handle_webhook(request.headers, request.get_data(cache=False))
    if result == "duplicate":
        current_app.logger.info("video webhook received twice; nothing changed")
    return jsonify({"received": True, "duplicate": result == "duplicate", "ignored": result == "ignored"})
