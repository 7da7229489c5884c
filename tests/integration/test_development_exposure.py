"""Development stays on this machine: it refuses to listen beyond loopback unless told so
(DEV_ALLOW_NON_LOOPBACK), /dev/mail answers loopback clients only, and the calendar import's
private-address allowance (CALENDAR_FETCH_ALLOW_PRIVATE) is off unless set, in every environment."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from kendama import create_app
from kendama.config import CONFIGS
from kendama.extensions import db
from kendama.services.calendars import imports
from kendama.services.errors import InvalidInput
from kendama.start_checks import UnsafeConfiguration
from kendama.web.loopback import is_loopback

from ..support.deployed import production_settings
from ..support.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
REFUSED = "Development mode refuses to listen on 0.0.0.0"


def development_environment(tmp_path: Path, **settings) -> dict[str, str]:
    """The embedded default's environment, its files in tmp_path (nothing of the test run's own)."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in {"KENDAMA_ENV", "DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "DEV_ALLOW_NON_LOOPBACK"}
    }
    return {
        **inherited,
        "FLASK_APP": "app",
        "SECRET_KEY": "development-exposure-test-key",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kendama.sqlite3'}",
        "MAIL_OUTBOX_DIR": str(tmp_path / "mail"),
        "STRIPE_SANDBOX_DB": str(tmp_path / "stripe.sqlite3"),
        "VIDEO_SANDBOX_DB": str(tmp_path / "video.sqlite3"),
        **settings,
    }


def refused_at_start(command: list[str], environment: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0, result.stdout + result.stderr
    return result.stderr


def test_flask_run_on_every_interface_is_refused_with_one_line(tmp_path):
    port = str(free_port())
    output = refused_at_start(
        [str(BIN / "flask"), "run", "--host", "0.0.0.0", "--port", port], development_environment(tmp_path)
    )
    assert REFUSED in output and "DEV_ALLOW_NON_LOOPBACK=1" in output
    assert "Traceback" not in output


def test_gunicorn_on_every_interface_is_refused_in_development(tmp_path):
    port = str(free_port())
    environment = development_environment(tmp_path, HOST="0.0.0.0", PORT=port, WEB_CONCURRENCY="1")
    output = refused_at_start([str(BIN / "gunicorn"), "app:app"], environment)
    assert REFUSED in output


def test_told_explicitly_development_listens_on_every_interface(tmp_path):
    port = free_port()
    environment = development_environment(tmp_path, DEV_ALLOW_NON_LOOPBACK="1")
    server = subprocess.Popen(
        [str(BIN / "flask"), "run", "--host", "0.0.0.0", "--port", str(port)],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()
            try:
                assert requests.get(f"http://127.0.0.1:{port}/favicon.ico", timeout=2).status_code == 200
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the development server did not answer"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_what_counts_as_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.fixture
def dev_mail(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "DEV_MAIL_PAGES", True)


@pytest.mark.parametrize("address", ["192.168.1.20", "10.0.0.7", "203.0.113.9", "2001:db8::5"])
def test_dev_mail_is_404_to_clients_from_elsewhere(client, dev_mail, address):
    for path in ("/dev/mail/", "/dev/mail/any.eml"):
        assert client.get(path, environ_base={"REMOTE_ADDR": address}).status_code == 404


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_dev_mail_answers_this_machine(client, dev_mail, address):
    assert client.get("/dev/mail/", environ_base={"REMOTE_ADDR": address}).status_code == 200


@pytest.mark.parametrize("environment", sorted(CONFIGS))
def test_private_calendar_addresses_are_refused_by_default_in_every_environment(environment):
    assert CONFIGS[environment].CALENDAR_FETCH_ALLOW_PRIVATE is False


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_production_refuses_to_start_with_private_calendar_addresses_allowed(database_url, environment):
    settings = production_settings(SQLALCHEMY_DATABASE_URI=database_url, CALENDAR_FETCH_ALLOW_PRIVATE=True)
    with pytest.raises(UnsafeConfiguration, match="CALENDAR_FETCH_ALLOW_PRIVATE is on"):
        create_app(environment, settings)


def test_the_development_app_refuses_a_private_calendar_address_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.delenv("CALENDAR_FETCH_ALLOW_PRIVATE", raising=False)
    development = create_app("development", {"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=tmp_path)
    with development.app_context():
        with pytest.raises(InvalidInput):
            imports.normalise_url("http://127.0.0.1:8000/mine.ics")
        development.config["CALENDAR_FETCH_ALLOW_PRIVATE"] = True
        assert imports.normalise_url("http://127.0.0.1:8000/mine.ics") == "http://127.0.0.1:8000/mine.ics"
        db.engine.dispose()
