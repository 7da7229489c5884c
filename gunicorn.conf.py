"""gunicorn settings for production: `gunicorn app:app` reads this file from the project root."""

import os

from kendama.config import TRUE_WORDS  # importing the configuration reads .env, so it decides here too
from kendama.start_checks import development_bind_refusal
from kendama.web.request_logging import configure_logging

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Threads suit this I/O-bound app (database, Redis, Stripe, video API) and keep memory low:
# one process per core, a few threads each.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so slow leaks in any library cannot grow without bound. Not
# too often: a new worker spends a second or two of CPU starting the app, and at a thousand
# requests a second 5,000 requests meant a restart every few seconds (measured: p99 over 1 s).
max_requests = 100_000
max_requests_jitter = 10_000
accesslog = None  # the app writes one structured JSON line per request instead
errorlog = "-"
# Who may say a request came over https; the app trusts X-Forwarded-For from the same peers only
# (TRUSTED_PROXY_COUNT, kendama/web/proxies.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def on_starting(server):
    configure_logging()
    # Development (KENDAMA_ENV unset) listens on loopback only, as with `flask run`; a RuntimeError
    # here is printed by gunicorn as one line before it exits.
    if os.environ.get("KENDAMA_ENV", "development") == "development":
        hosts = [address[0] for address in server.cfg.address if isinstance(address, tuple)]
        allowed = os.environ.get("DEV_ALLOW_NON_LOOPBACK", "").strip().lower() in TRUE_WORDS
        refusal = development_bind_refusal(hosts, allowed)
        if refusal:
            raise RuntimeError(refusal)


def post_worker_init(worker):
    configure_logging()
