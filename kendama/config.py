"""Configuration classes, read from the environment (see ../shared/API.md, operating contract)."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import load_dotenv

# Before the classes below read the environment: `gunicorn app:app` and `python worker.py` reach
# this module with nothing having read the project's .env for them (`flask` reads it itself).
# Settings already in the environment win over the file.
load_dotenv(Path(__file__).resolve().parent.parent / ".env")

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})  # how a yes/no setting says yes


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in TRUE_WORDS


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def normalise_database_url(url: str) -> str:
    """Let operators write the usual `postgresql://` URL; we drive it with psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _kept_secret(path: Path, make: Callable[[], str]) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def development_secret_key(instance_path: str) -> str:
    """A random key generated once and kept in instance/, so dev sessions survive restarts."""
    return _kept_secret(Path(instance_path) / "secret_key", lambda: secrets.token_urlsafe(48))


def development_calendar_secrets_key(instance_path: str) -> str:
    """The Fernet key for CalDAV passwords on the embedded default, kept in instance/ like SECRET_KEY."""
    return _kept_secret(Path(instance_path) / "calendar_secrets_key", lambda: Fernet.generate_key().decode())


class Config:
    """Settings shared by every environment; the subclasses change what differs."""

    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    # Mail: SMTP when MAIL_SERVER is set, otherwise the development outbox.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Kendama Live <sessions@kendama.local>")
    MAIL_TIMEOUT_SECONDS = _int("MAIL_TIMEOUT_SECONDS", 30)
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR")  # the development outbox; instance/mail when unset
    DEV_MAIL_PAGES = False  # /dev/mail, the outbox viewer (development only, loopback clients only)
    # Development listens on loopback only (kendama/start_checks.py) unless this says otherwise.
    DEV_ALLOW_NON_LOOPBACK = _bool("DEV_ALLOW_NON_LOOPBACK")

    # Jobs and the notification outbox
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "kendama")
    PERIODIC_TICKER = False  # run PERIODIC_JOBS in a thread of the web process when jobs run inline
    NOTIFICATION_MAX_ATTEMPTS = _int("NOTIFICATION_MAX_ATTEMPTS", 6)
    NOTIFICATION_RETRY_SECONDS = _int("NOTIFICATION_RETRY_SECONDS", 60)  # doubles with each failed attempt
    NOTIFICATION_RETRY_MAX_SECONDS = _int("NOTIFICATION_RETRY_MAX_SECONDS", 3600)
    # A row still "sending" after this long belongs to a worker that died; the sweep retries it.
    NOTIFICATION_SENDING_TIMEOUT_SECONDS = _int("NOTIFICATION_SENDING_TIMEOUT_SECONDS", 900)
    NOTIFICATION_SWEEP_BATCH = _int("NOTIFICATION_SWEEP_BATCH", 200)
    # Signed action links in emails (join): long enough to reach the end of the session.
    EMAIL_ACTION_LINK_SECONDS = _int("EMAIL_ACTION_LINK_SECONDS", 2 * 24 * 3600)

    # Payments
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    PLATFORM_FEE_PERCENT = os.environ.get("PLATFORM_FEE_PERCENT", "15")
    # Account events and Connect events may come from two endpoints with their own secrets.
    STRIPE_CONNECT_WEBHOOK_SECRET = os.environ.get("STRIPE_CONNECT_WEBHOOK_SECRET")
    STRIPE_TIMEOUT_SECONDS = _int("STRIPE_TIMEOUT_SECONDS", 15)
    # The offline sandbox keeps its state here (instance/stripe_sandbox.sqlite3 when unset);
    # "wsgi" serves the adapter's calls in-process (tests without a live server), "http" by HTTP.
    STRIPE_SANDBOX_DB = os.environ.get("STRIPE_SANDBOX_DB")
    STRIPE_SANDBOX_TRANSPORT = "http"
    # Where the sandbox is served: this app's own /_sandbox/stripe when unset; benchmarks point it
    # at a second copy, so that the app under load is not also answering its own provider calls.
    STRIPE_SANDBOX_URL = os.environ.get("STRIPE_SANDBOX_URL")
    REFUND_MAX_ATTEMPTS = _int("REFUND_MAX_ATTEMPTS", 8)
    REFUND_RETRY_BASE_SECONDS = _int("REFUND_RETRY_BASE_SECONDS", 60)
    # Redirects to Stripe-hosted Checkout and onboarding follow form posts (CSP form-action).
    CSP_FORM_ACTION_EXTRA = "https://checkout.stripe.com https://connect.stripe.com"

    # Video
    DAILY_API_KEY = os.environ.get("DAILY_API_KEY")
    DAILY_WEBHOOK_SECRET = os.environ.get("DAILY_WEBHOOK_SECRET")
    DAILY_API_URL = os.environ.get("DAILY_API_URL", "https://api.daily.co/v1")
    DAILY_TIMEOUT_SECONDS = _int("DAILY_TIMEOUT_SECONDS", 10)
    # Which video provider (integrations/video/registry.py): daily or sandbox. Unset: daily with
    # DAILY_API_KEY, else sandbox where sandboxes are allowed; with neither, video is off.
    VIDEO_PROVIDER = os.environ.get("VIDEO_PROVIDER")
    # Where the call frame and recording downloads come from (CSP): the provider says (Daily's
    # *.daily.co and *.amazonaws.com; the sandbox is same-origin) unless these are set.
    VIDEO_EMBED_ORIGIN = os.environ.get("VIDEO_EMBED_ORIGIN")
    VIDEO_MEDIA_ORIGIN = os.environ.get("VIDEO_MEDIA_ORIGIN")
    VIDEO_ROOM_PREFIX = os.environ.get("VIDEO_ROOM_PREFIX", "kendama")
    VIDEO_JOIN_EARLY_MINUTES = _int("VIDEO_JOIN_EARLY_MINUTES", 10)
    VIDEO_ROOM_LEAD_MINUTES = _int("VIDEO_ROOM_LEAD_MINUTES", 120)  # rooms are made this long ahead
    VIDEO_ROOM_KEEP_MINUTES = _int("VIDEO_ROOM_KEEP_MINUTES", 180)  # after the end, for recordings to settle
    VIDEO_SHARE_LINK_DAYS = _int("VIDEO_SHARE_LINK_DAYS", 7)
    RATELIMIT_VIDEO_JOIN = os.environ.get("RATELIMIT_VIDEO_JOIN", "30 per minute")
    # The offline video sandbox: its address (BASE_URL/_sandbox/video when unset), its state file
    # (instance/video_sandbox.sqlite3 when unset), and whether it posts its webhooks itself.
    VIDEO_SANDBOX_URL = os.environ.get("VIDEO_SANDBOX_URL")
    VIDEO_SANDBOX_DB = os.environ.get("VIDEO_SANDBOX_DB")
    VIDEO_SANDBOX_DELIVER_WEBHOOKS = _bool("VIDEO_SANDBOX_DELIVER_WEBHOOKS", True)
    # STUN/TURN servers for the sandbox's calls, as a JSON list of RTCIceServer objects
    # ([{"urls": "stun:stun.example.org:3478"}]); empty: host candidates only (one machine or a LAN).
    VIDEO_SANDBOX_ICE_SERVERS = os.environ.get("VIDEO_SANDBOX_ICE_SERVERS", "")
    # "auto": when the app serves its own sandbox, its calls to it skip the socket (see
    # integrations/video/sandbox/wsgi_transport.py); "http": always over the network.
    VIDEO_SANDBOX_TRANSPORT = os.environ.get("VIDEO_SANDBOX_TRANSPORT", "auto")

    # Uploaded practice clips (integrations/storage): an S3 bucket when STORAGE_BUCKET is set, else a folder.
    STORAGE_BUCKET = os.environ.get("STORAGE_BUCKET")  # the bucket's name; unset: files stay on this machine
    STORAGE_ENDPOINT_URL = os.environ.get("STORAGE_ENDPOINT_URL")  # an S3-compatible service; unset: AWS
    STORAGE_REGION = os.environ.get("STORAGE_REGION", "us-east-1")  # the bucket's region
    STORAGE_DIR = os.environ.get("STORAGE_DIR")  # the folder without a bucket; unset: <instance>/clips
    CLIP_MAX_BYTES = _int("CLIP_MAX_BYTES", 100 * 1024 * 1024)  # per practice clip
    CLIP_MAX_SECONDS = _int("CLIP_MAX_SECONDS", 60)

    # Computed free slots are cached (services/booking/slot_cache.py) for at most this long; 0 turns it off.
    SLOT_CACHE_SECONDS = _int("SLOT_CACHE_SECONDS", 30)
    SLOT_CACHE_PREFIX = os.environ.get("SLOT_CACHE_PREFIX")  # Redis key prefix; derived from DATABASE_URL when unset

    # Booking policy (numbers are configuration; the rules live in services/booking/policy.py)
    POLICY_FULL_REFUND_HOURS = _int("POLICY_FULL_REFUND_HOURS", 24)
    POLICY_PARTIAL_REFUND_HOURS = _int("POLICY_PARTIAL_REFUND_HOURS", 2)
    POLICY_PARTIAL_REFUND_PERCENT = _int("POLICY_PARTIAL_REFUND_PERCENT", 50)
    POLICY_RESCHEDULE_HOURS = _int("POLICY_RESCHEDULE_HOURS", 24)
    POLICY_MAX_RESCHEDULES = _int("POLICY_MAX_RESCHEDULES", 2)
    # No-shows: a fan may report the player absent this many minutes after the start; the player
    # may dispute it for this many hours, after which the fan is refunded in full.
    NO_SHOW_REPORT_AFTER_MINUTES = _int("NO_SHOW_REPORT_AFTER_MINUTES", 10)
    NO_SHOW_DISPUTE_HOURS = _int("NO_SHOW_DISPUTE_HOURS", 48)
    # A paid slot is held this long for the fan to pay; Stripe Checkout lives at least 30 minutes.
    BOOKING_HOLD_MINUTES = _int("BOOKING_HOLD_MINUTES", 35)
    # A slot that opens on a waitlisted day is held this long for the first fan in line.
    WAITLIST_OFFER_MINUTES = _int("WAITLIST_OFFER_MINUTES", 15)
    # Fans younger than this (counted from the birth year alone) book only what a guardian allows;
    # the guardian's emailed link to confirm and choose lives this long.
    GUARDIAN_AGE = _int("GUARDIAN_AGE", 16)
    GUARDIAN_LINK_SECONDS = _int("GUARDIAN_LINK_SECONDS", 7 * 24 * 3600)
    # Lesson package credits are valid this many months from payment; the fan is told this many
    # days before unused ones expire.
    PACKAGE_VALID_MONTHS = _int("PACKAGE_VALID_MONTHS", 6)
    PACKAGE_EXPIRY_NOTICE_DAYS = _int("PACKAGE_EXPIRY_NOTICE_DAYS", 7)
    # Rollout switch position until an admin sets one: off | beta | everyone
    LIVE_SESSIONS_DEFAULT = os.environ.get("LIVE_SESSIONS_DEFAULT", "everyone")

    # Security
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # "Keep me signed in": the cookie and the server-side sign-in it names (services/accounts/sign_ins.py)
    # live this long; a sign-in without it ends after SIGN_IN_HOURS, or when the browser closes.
    REMEMBER_COOKIE_DURATION = timedelta(days=_int("REMEMBER_COOKIE_DAYS", 30))
    SIGN_IN_HOURS = _int("SIGN_IN_HOURS", 24)
    # The emailed link that finishes an account made on the registration page.
    EMAIL_CONFIRMATION_SECONDS = _int("EMAIL_CONFIRMATION_SECONDS", 24 * 3600)
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a wall clock
    API_TOKEN_DAYS = _int("API_TOKEN_DAYS", 30)
    SIGNED_URL_SECONDS = _int("SIGNED_URL_SECONDS", 300)
    PASSWORD_RESET_SECONDS = _int("PASSWORD_RESET_SECONDS", 3600)
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    AVATAR_MAX_BYTES = 2 * 1024 * 1024

    # Behind a reverse proxy (kendama/web/proxies.py): how many proxies stand in front of the app, and
    # the addresses they connect from (gunicorn reads FORWARDED_ALLOW_IPS too). Checked at start.
    TRUSTED_PROXY_COUNT = os.environ.get("TRUSTED_PROXY_COUNT", "0")
    FORWARDED_ALLOW_IPS = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

    # Rate limits (Flask-Limiter); storage in Redis where there is one
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    # Off: with it on, Flask-Limiter stamps Retry-After even on successful answers; errors.py
    # gives each 429 its own Retry-After instead.
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "10 per hour")
    # Per email address, over the page and the API together: each attempt may send that address
    # an email, so one address cannot be flooded from many clients.
    RATELIMIT_REGISTER_EMAIL = os.environ.get("RATELIMIT_REGISTER_EMAIL", "5 per hour;10 per day")
    RATELIMIT_BOOKING = os.environ.get("RATELIMIT_BOOKING", "20 per minute")
    RATELIMIT_TOKENS = os.environ.get("RATELIMIT_TOKENS", "10 per minute")
    RATELIMIT_CALENDAR_FEED = os.environ.get("RATELIMIT_CALENDAR_FEED", "60 per minute")
    RATELIMIT_AVATAR = os.environ.get("RATELIMIT_AVATAR", "10 per hour")  # photo uploads, per player
    # A young fan asking for their guardian's link again: each one is an email to someone without an account.
    RATELIMIT_GUARDIAN_RESEND = os.environ.get("RATELIMIT_GUARDIAN_RESEND", "5 per hour")

    # Calendars: the private feed, and players' external calendars imported by a job
    CALENDAR_IMPORT_MAX_BYTES = _int("CALENDAR_IMPORT_MAX_BYTES", 2 * 1024 * 1024)
    CALENDAR_IMPORT_CONNECT_TIMEOUT = _int("CALENDAR_IMPORT_CONNECT_TIMEOUT", 5)
    CALENDAR_IMPORT_READ_TIMEOUT = _int("CALENDAR_IMPORT_READ_TIMEOUT", 15)
    CALENDAR_IMPORT_DAYS = _int("CALENDAR_IMPORT_DAYS", 62)  # the longest booking window we offer
    # Fetching from loopback/private addresses (and plain http) is an SSRF hole: off in every
    # environment unless set; the calendar import tests turn it on for their 127.0.0.1 server.
    # Production and staging refuse to start with it on.
    CALENDAR_FETCH_ALLOW_PRIVATE = _bool("CALENDAR_FETCH_ALLOW_PRIVATE")
    # CalDAV accounts: app passwords are Fernet-encrypted with this key ("new,old" while rotating);
    # generated into instance/ on the embedded default, required in production.
    CALENDAR_SECRETS_KEY = os.environ.get("CALENDAR_SECRETS_KEY")
    CALDAV_TIMEOUT = _int("CALDAV_TIMEOUT", 10)  # seconds for a whole exchange with the server, in jobs
    CALDAV_BOOKING_TIMEOUT = _int("CALDAV_BOOKING_TIMEOUT", 3)  # the re-check while a fan books waits on it
    CALDAV_BUSY_TTL_SECONDS = _int("CALDAV_BUSY_TTL_SECONDS", 300)  # how old the cached busy times may get
    CALDAV_MAX_FAILURES = _int("CALDAV_MAX_FAILURES", 8)  # in a row, backing off, before syncing stops

    # Sandboxes: served under /_sandbox/ when no real key is configured (never in production)
    PRODUCTION = False  # true for production and staging: no sandboxes, secure cookies, HSTS
    SANDBOXES_ALLOWED = True
    JOBS_INLINE = False  # forced inline; otherwise inline only when Redis is unreachable
    DEV_MAIL_OUTBOX = False
    # "Start a test call now" on a player's dashboard: a call with the demo fan at once (services/video/demo_calls.py).
    TEST_CALLS_ALLOWED = False


class DevelopmentConfig(Config):
    """The embedded default: SQLite in instance/, inline jobs, a mail outbox, sandboxes."""

    ENV_NAME = "development"
    DEBUG = False
    DEV_MAIL_OUTBOX = True
    DEV_MAIL_PAGES = True
    PERIODIC_TICKER = True
    TEST_CALLS_ALLOWED = True  # only here: never in production or staging


# Names this process's scratch files in the testing configuration: the pid alone is not unique
# over time, and a run killed before cleaning up left files that a later run with the same pid
# took for its own (a sandbox remembering another run's idempotency keys).
_RUN = f"{os.getpid()}-{secrets.token_hex(4)}"


class TestingConfig(Config):
    """Tests: PostgreSQL and Redis on this machine; the database URL is set by the fixtures."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"
    CALENDAR_SECRETS_KEY = "dGVzdGluZy1jYWxlbmRhci1rZXktbm90LWZvci1wcm8="  # Fernet: 32 bytes, base64
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    BASE_URL = "http://localhost"
    JOBS_INLINE = True
    DEV_MAIL_OUTBOX = True
    # Each test process keeps its own outbox, so parallel runs never read each other's mail.
    MAIL_OUTBOX_DIR = os.path.join(tempfile.gettempdir(), f"kendama-test-mail-{_RUN}")
    STORAGE_DIR = os.path.join(tempfile.gettempdir(), f"kendama-test-clips-{_RUN}")
    PASSWORD_HASH_FAST = True  # argon2 with test-sized cost so the suite stays quick
    # Generous limits so ordinary tests never trip them; rate-limit tests lower them.
    RATELIMIT_LOGIN = "1000 per minute"
    RATELIMIT_REGISTER = "1000 per minute"
    RATELIMIT_REGISTER_EMAIL = "1000 per minute"
    RATELIMIT_BOOKING = "1000 per minute"
    RATELIMIT_TOKENS = "1000 per minute"
    RATELIMIT_CALENDAR_FEED = "1000 per minute"
    RATELIMIT_AVATAR = "1000 per minute"
    # Tests post the video sandbox's webhooks themselves, through the test client.
    VIDEO_SANDBOX_DB = os.path.join(tempfile.gettempdir(), f"kendama-video-sandbox-{_RUN}.sqlite3")
    VIDEO_SANDBOX_DELIVER_WEBHOOKS = False
    RATELIMIT_VIDEO_JOIN = "1000 per minute"
    # Tests that read slots see the database directly; tests/integration/test_slot_cache.py turns it on.
    SLOT_CACHE_SECONDS = 0
    # Paid bookings reach the Stripe sandbox in-process unless a test serves the app over HTTP.
    STRIPE_SANDBOX_TRANSPORT = "wsgi"
    STRIPE_SANDBOX_DB = os.path.join(tempfile.gettempdir(), f"kendama-stripe-sandbox-{_RUN}.sqlite3")


class ProductionConfig(Config):
    """Production: everything from the environment; sandboxes refused; secure cookies."""

    ENV_NAME = "production"
    PRODUCTION = True
    SANDBOXES_ALLOWED = False
    LIVE_SESSIONS_DEFAULT = os.environ.get("LIVE_SESSIONS_DEFAULT", "off")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


class StagingConfig(ProductionConfig):
    """The first rollout step: production settings with Stripe test keys and Daily's test domain.

    Everything is configured exactly as in production (no sandboxes; real PostgreSQL, Redis, SMTP);
    only the keys differ: `sk_test_...` for Stripe and a Daily test domain's API key.
    """

    ENV_NAME = "staging"


CONFIGS = {
    "development": DevelopmentConfig,
    "staging": StagingConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
