"""One blueprint per area; the factory registers them from this list."""

from __future__ import annotations


def BLUEPRINTS():  # noqa: N802 - reads as the constant list it is
    """(blueprint, url prefix) pairs, imported lazily so the factory controls the order."""
    from ..integrations.stripe.sandbox import bp as stripe_sandbox
    from ..integrations.stripe.sandbox.config import URL_PREFIX as STRIPE_SANDBOX_PREFIX
    from ..integrations.video.sandbox import bp as video_sandbox
    from .admin import bp as admin
    from .api import bp as api
    from .auth import bp as auth
    from .booking import bp as booking
    from .calendar import bp as calendar
    from .coaching import bp as coaching
    from .dashboard import bp as dashboard
    from .devmail import bp as devmail
    from .discovery import bp as discovery
    from .guardians import bp as guardians
    from .ops import bp as ops
    from .packages import bp as packages
    from .payments import bp as payments
    from .video import bp as video
    from .webhooks import bp as webhooks

    return [
        (discovery, None),
        (auth, None),
        (booking, None),
        (dashboard, "/dashboard"),
        (admin, "/admin"),
        (api, "/api"),
        (ops, None),
        (calendar, None),
        (payments, None),
        (packages, None),
        (webhooks, "/webhooks"),
        (stripe_sandbox, STRIPE_SANDBOX_PREFIX),
        (devmail, "/dev/mail"),
        (video, None),
        (coaching, None),
        (guardians, None),
        (video_sandbox, "/_sandbox/video"),
    ]
