"""Security headers on every response.

The CSP allows scripts only from this origin (htmx is served from /static and configured with
`htmx.config.allowEval = false` plus no inline handlers), so no 'unsafe-inline' scripts. The video
provider's call frame and recordings add its origins (the provider's `embed_origin` and
`media_origin`, unless VIDEO_EMBED_ORIGIN or VIDEO_MEDIA_ORIGIN say otherwise).
"""

from __future__ import annotations

from flask import Flask, request

from ..integrations.video import registry as video_registry


def _video_origins(app: Flask) -> tuple[str | None, str | None]:
    """The call frame's origin and the recordings' origin: the settings, else the provider's own."""
    provider = video_registry.provider_class(app.config)  # None while video is off: no origins
    return (
        app.config.get("VIDEO_EMBED_ORIGIN") or (provider.embed_origin if provider else None),
        app.config.get("VIDEO_MEDIA_ORIGIN") or (provider.media_origin if provider else None),
    )


def content_security_policy(app: Flask) -> str:
    frame_src = ["'self'"]
    script_src = ["'self'"]
    connect_src = ["'self'"]
    video_origin, media_origin = _video_origins(app)
    if video_origin:
        frame_src.append(video_origin)
        script_src.append(video_origin)
        connect_src.append(video_origin)
    # Recordings play from the provider's short-lived storage links (the app redirects there).
    media_src = ["'self'", "blob:", *filter(None, [media_origin])]
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {' '.join(script_src)}",
            "style-src 'self'",
            "img-src 'self' data:",
            f"media-src {' '.join(media_src)}",
            f"connect-src {' '.join(connect_src)}",
            f"frame-src {' '.join(frame_src)}",
            "frame-ancestors 'none'",
            "form-action 'self' " + app.config.get("CSP_FORM_ACTION_EXTRA", ""),
            "base-uri 'self'",
            "object-src 'none'",
        ]
    ).strip()


def permissions_policy(app: Flask) -> str:
    """Camera and microphone for this origin and for the video provider's call frame."""
    video_origin, _ = _video_origins(app)
    allowed = f'self "{video_origin}"' if video_origin else "self"
    return f"camera=({allowed}), microphone=({allowed}), display-capture=({allowed}), geolocation=()"


def security_headers(app: Flask) -> list[tuple[str, str]]:
    """The headers every response carries unless its view set its own (worked out once per app)."""
    headers = [
        ("Content-Security-Policy", content_security_policy(app)),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", permissions_policy(app)),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if app.config["PRODUCTION"]:
        headers.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    return headers


PRIVATE_PATHS = ("/api/", "/account", "/dashboard", "/admin")


def init_app(app: Flask) -> None:
    defaults = security_headers(app)

    @app.after_request
    def set_headers(response):
        headers = response.headers
        present = {name.lower() for name in headers.keys()}
        headers.extend([(name, value) for name, value in defaults if name.lower() not in present])
        if "cache-control" not in present and request.path.startswith(PRIVATE_PATHS):
            headers["Cache-Control"] = "no-store"
        return response
