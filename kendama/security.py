"""Security headers on every response.

The CSP allows scripts only from this origin (htmx is served from /static and configured with
`htmx.config.allowEval = false` plus no inline handlers), so no 'unsafe-inline' scripts.
"""

from __future__ import annotations

from flask import Flask, request


def content_security_policy(app: Flask) -> str:
    frame_src = ["'self'"]
    script_src = ["'self'"]
    connect_src = ["'self'"]
    video_origin = app.config.get("VIDEO_EMBED_ORIGIN")
    if video_origin:
        frame_src.append(video_origin)
        script_src.append(video_origin)
        connect_src.append(video_origin)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {' '.join(script_src)}",
            "style-src 'self'",
            "img-src 'self' data:",
            "media-src 'self' blob:",
            f"connect-src {' '.join(connect_src)}",
            f"frame-src {' '.join(frame_src)}",
            "frame-ancestors 'none'",
            "form-action 'self' " + app.config.get("CSP_FORM_ACTION_EXTRA", ""),
            "base-uri 'self'",
            "object-src 'none'",
        ]
    ).strip()


def init_app(app: Flask) -> None:
    @app.after_request
    def set_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(app))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["PRODUCTION"]:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if request.path.startswith(("/api/", "/account", "/dashboard", "/admin")):
            headers.setdefault("Cache-Control", "no-store")
        return response
