"""What production and staging refuse to start with (the web app and the worker alike), and where
development refuses to listen.

Each unsafe production setting is named on a line of its own, so an operator fixes them all in
one go instead of one per restart. Development derives what it needs (kendama/__init__.py
`configure_environment`), and stays on this machine unless told otherwise: it serves the mail
outbox, the sandboxes and demo accounts with a published password.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import click
from flask import Flask

from .services.calendars.secrets import keys_problem
from .web.loopback import is_loopback

MIN_SECRET_KEY_BYTES = 32
MIN_SECRET_KEY_DISTINCT_CHARACTERS = 8  # "x" * 40 is long enough, and no secret

# Every SECRET_KEY written in this repository (configuration, tests, benchmarks): public, so never
# a production key. tests/integration/test_start_checks.py finds them in the committed files and
# fails when one is missing here. The shorter ones are refused for their length as well.
COMMITTED_SECRET_KEYS = frozenset(
    {
        "testing-secret-key-not-for-production",
        "worker-test-secret",
        "benchmark-secret-key",
    }
)

# Live sessions take payments and happen on video calls: both need their provider's keys (the
# offline sandboxes stand in for them outside production and staging). /readyz reports these too.
PROVIDER_SETTINGS = {
    "payments": ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"),
    "video": ("DAILY_API_KEY", "DAILY_WEBHOOK_SECRET"),
}
LIVE_SESSION_STATES = ("off", "beta", "everyone")


class UnsafeConfiguration(RuntimeError):
    """Production or staging configured unsafely; the message has one line per problem."""

    def __init__(self, environment: str, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"- {problem}" for problem in problems)
        super().__init__(f"Kendama Live refuses to start in {environment}:\n{lines}")


def problems(config: Mapping) -> list[str]:
    """Why this production or staging configuration must not start (empty when it may)."""
    found = [*_secret_key_problems(config.get("SECRET_KEY"))]
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        found.append("DATABASE_URL is not set: production and staging run on PostgreSQL.")
    base_url = str(config.get("BASE_URL") or "")
    if urlsplit(base_url).scheme != "https" or not urlsplit(base_url).hostname:
        found.append(
            f"BASE_URL must be the site's https:// address (links in emails and Stripe's return pages use it); "
            f"got {base_url!r}."
        )
    if config.get("CALENDAR_FETCH_ALLOW_PRIVATE"):
        found.append(
            "CALENDAR_FETCH_ALLOW_PRIVATE is on: the calendar import would fetch from this network (SSRF); "
            "it is for local set-ups only."
        )
    calendar_keys = keys_problem(config.get("CALENDAR_SECRETS_KEY"))
    if calendar_keys:
        found.append(
            f"CALENDAR_SECRETS_KEY {calendar_keys}: it encrypts players' CalDAV passwords; generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )
    live = str(config.get("LIVE_SESSIONS_DEFAULT") or "")
    if live not in LIVE_SESSION_STATES:
        found.append(f"LIVE_SESSIONS_DEFAULT must be off, beta or everyone; got {live!r}.")
    elif live != "off":
        found.extend(
            f"{name} is not set, and live sessions are on (LIVE_SESSIONS_DEFAULT={live}): "
            f"{kind} cannot work without it."
            for name, kind in _missing(config)
        )
    return found


def missing_live_session_keys(config: Mapping) -> list[str]:
    """The payment and video settings that live sessions need and this configuration lacks."""
    return [name for name, _ in _missing(config)]


def _missing(config: Mapping) -> list[tuple[str, str]]:
    """(setting, what needs it) for each provider setting that is unset."""
    return [(name, kind) for kind, names in PROVIDER_SETTINGS.items() for name in names if not config.get(name)]


def _secret_key_problems(key: object) -> list[str]:
    if not key:
        return [
            "SECRET_KEY is not set: generate one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        ]
    text = str(key)
    if len(text.encode()) < MIN_SECRET_KEY_BYTES:
        return [
            f"SECRET_KEY is {len(text.encode())} bytes long; it must be at least {MIN_SECRET_KEY_BYTES} random bytes."
        ]
    if text in COMMITTED_SECRET_KEYS:
        return ["SECRET_KEY is a value written in Kendama Live's repository, so it is public: generate a new one."]
    if len(set(text)) < MIN_SECRET_KEY_DISTINCT_CHARACTERS:
        return ["SECRET_KEY repeats a few characters; it must be random (secrets.token_urlsafe(48))."]
    return []


def check(environment: str, config: Mapping) -> None:
    """Raise UnsafeConfiguration listing every problem, or return when there is none."""
    found = problems(config)
    if found:
        raise UnsafeConfiguration(environment, found)


def development_bind_refusal(hosts: Iterable[str], allowed: bool) -> str | None:
    """Why development must not listen on these hosts (None when all are loopback, or when allowed)."""
    exposed = [host for host in hosts if not is_loopback(host)]
    if not exposed or allowed:
        return None
    return (
        f"Development mode refuses to listen on {', '.join(exposed)}, where other machines can reach it "
        "(it serves the mail outbox, the sandboxes and demo accounts): bind to 127.0.0.1, "
        "or set DEV_ALLOW_NON_LOOPBACK=1 if you mean to share it."
    )


def check_development_bind(app: Flask) -> None:
    """`flask run --host ...`: refuse a non-loopback host (the app is built inside that command)."""
    context = click.get_current_context(silent=True)
    if context is None or context.info_name != "run" or "host" not in context.params:
        return
    refusal = development_bind_refusal([context.params["host"]], app.config["DEV_ALLOW_NON_LOOPBACK"])
    if refusal:
        raise click.UsageError(refusal, ctx=context)
