"""Production and staging refuse to start with an unsafe configuration, one line per problem: the
web app (create_app, and `flask --app app` as the release step runs it) and the worker alike."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kendama import create_app
from kendama.extensions import db
from kendama.start_checks import COMMITTED_SECRET_KEYS, MIN_SECRET_KEY_BYTES, UnsafeConfiguration

from ..support.deployed import production_settings

ROOT = Path(__file__).resolve().parents[2]
LIVE_KEYS = {
    "STRIPE_SECRET_KEY": "sk_live_configured",
    "STRIPE_WEBHOOK_SECRET": "whsec_configured",
    "DAILY_API_KEY": "daily-configured",
    "DAILY_WEBHOOK_SECRET": "ZGFpbHktY29uZmlndXJlZA==",
}
ENVIRONMENTS = ["production", "staging"]


def refusal(environment: str, database_url: str, **settings) -> list[str]:
    """The lines the app refuses to start with (each problem's line, without the heading)."""
    with pytest.raises(UnsafeConfiguration) as raised:
        create_app(environment, production_settings(SQLALCHEMY_DATABASE_URI=database_url, **settings))
    heading, *lines = str(raised.value).splitlines()
    assert heading == f"Kendama Live refuses to start in {environment}:"
    return lines


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "k" * 20 + "0123456789a"}, f"at least {MIN_SECRET_KEY_BYTES}"),  # 31 bytes
        ({"SECRET_KEY": "x" * 40}, "SECRET_KEY repeats a few characters"),
        ({"SECRET_KEY": "testing-secret-key-not-for-production"}, "written in Kendama Live's repository"),
        ({"BASE_URL": "http://kendama.example"}, "BASE_URL must be the site's https:// address"),
        ({"BASE_URL": "kendama.example"}, "BASE_URL must be the site's https:// address"),
        ({"LIVE_SESSIONS_DEFAULT": "on"}, "LIVE_SESSIONS_DEFAULT must be off, beta or everyone"),
        ({"CALENDAR_SECRETS_KEY": None}, "CALENDAR_SECRETS_KEY is not set"),
        ({"CALENDAR_SECRETS_KEY": "not-a-fernet-key"}, "CALENDAR_SECRETS_KEY is not a Fernet key"),
    ],
    ids=[
        "no-key",
        "short-key",
        "repetitive-key",
        "committed-key",
        "http-base-url",
        "no-scheme",
        "bad-switch",
        "no-calendar-key",
        "bad-calendar-key",
    ],  # fmt: skip
)
def test_an_unsafe_setting_is_refused_with_one_line_naming_it(database_url, environment, settings, named):
    lines = refusal(environment, database_url, **settings)
    assert len(lines) == 1 and named in lines[0], lines


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("state", ["beta", "everyone"])
@pytest.mark.parametrize("missing", sorted(LIVE_KEYS))
def test_live_sessions_on_without_a_payments_or_video_key_is_refused(database_url, environment, state, missing):
    keys = {name: value for name, value in LIVE_KEYS.items() if name != missing}
    lines = refusal(environment, database_url, LIVE_SESSIONS_DEFAULT=state, **keys)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"- {missing} is not set, and live sessions are on (LIVE_SESSIONS_DEFAULT={state})")


def test_every_problem_is_named_at_once(database_url):
    lines = refusal(
        "production", database_url, SECRET_KEY="short", BASE_URL="http://x.example", LIVE_SESSIONS_DEFAULT="everyone"
    )
    assert len(lines) == 2 + len(LIVE_KEYS)
    assert all(line.startswith("- ") for line in lines)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_safe_configuration_starts_with_live_sessions_off_or_with_every_key(database_url, environment):
    for settings in ({}, {"LIVE_SESSIONS_DEFAULT": "everyone", **LIVE_KEYS}):
        deployed = create_app(environment, production_settings(SQLALCHEMY_DATABASE_URI=database_url, **settings))
        with deployed.app_context():
            db.engine.dispose()


SECRET_KEY_VALUE = re.compile(r"""(?<![A-Z_])SECRET_KEY["']?\s*(?:=|:)\s*(?:["']([^"'\n]+)["']|([^\s"'`]+))""")


def committed_secret_keys() -> set[str]:
    """Every value this repository's files write for SECRET_KEY (Python, shell, docs, env files)."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    found = set()
    for name in filter(None, names.decode().split("\0")):
        path = ROOT / name
        if path.suffix in {".png", ".svg", ".ico", ".sqlite3"} or not path.is_file():
            continue
        text = path.read_text(errors="ignore")
        for quoted, bare in SECRET_KEY_VALUE.findall(text):
            value = quoted or bare
            if not re.match(r"^[\w.-]+\(|^\$|^os\.|^None$|^secrets\.", value):  # code that computes one, not a value
                found.add(value)
    return found


def test_every_secret_key_written_in_the_repository_is_refused():
    found = committed_secret_keys()
    assert "testing-secret-key-not-for-production" in found  # the scan does see them
    long_enough = {value for value in found if len(value.encode()) >= MIN_SECRET_KEY_BYTES}
    assert long_enough <= COMMITTED_SECRET_KEYS, long_enough - COMMITTED_SECRET_KEYS


def _run(command: list[str], **environment) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DAILY_", "LIVE_SESSIONS"))}
    return subprocess.run(
        command, cwd=ROOT, env={**inherited, **environment}, capture_output=True, text=True, timeout=120
    )


UNSAFE = {
    "KENDAMA_ENV": "production",
    "SECRET_KEY": "benchmark-secret-key",
    "BASE_URL": "http://kendama.example",
    "DATABASE_URL": "postgresql://127.0.0.1/kendama_never_reached",
    "LIVE_SESSIONS_DEFAULT": "everyone",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "MAIL_SERVER": "127.0.0.1",
}


def test_the_worker_refuses_to_start_with_the_same_lines_and_no_traceback():
    result = _run([sys.executable, "worker.py"], **UNSAFE)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Kendama Live refuses to start in production:"
    assert any("SECRET_KEY is 20 bytes long" in line for line in lines)
    assert any("BASE_URL must be the site's https:// address" in line for line in lines)
    assert any(line.startswith("- DAILY_API_KEY is not set, and live sessions are on") for line in lines)
    assert "Traceback" not in result.stderr


def test_the_web_app_refuses_to_start_too():
    result = _run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", "db", "current"], **UNSAFE)
    assert result.returncode != 0
    assert "Kendama Live refuses to start in production:" in result.stderr
    assert "- BASE_URL must be the site's https:// address" in result.stderr
