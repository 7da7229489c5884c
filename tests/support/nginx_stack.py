"""The app as production serves it: gunicorn (gunicorn.conf.py, KENDAMA_ENV=production) behind a
real nginx that terminates TLS with a self-signed certificate, all on free loopback ports, on a
scratch PostgreSQL database. Everything it starts and writes is gone afterwards.

nginx is Debian's package (scripts/services.sh installs it); the certificate is made with the
`openssl` command line. Clients on this machine can come from different addresses: Linux routes
all of 127.0.0.0/8 to loopback, so a client may bind 127.0.0.2, 127.0.0.3, ... as its source.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from requests.adapters import HTTPAdapter

from kendama import create_app
from kendama.extensions import db

from . import postgres
from .dev_server import CONFIGURATION, ROOT
from .smtp_server import free_port

START_SECONDS = 30

NGINX_CONF = """\
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;

    server {{  # plain http only ever redirects to https
        listen 127.0.0.1:{http_port};
        return 301 https://$host:{https_port}$request_uri;
    }}
    server {{
        listen 127.0.0.1:{https_port} ssl;
        ssl_certificate {work}/cert.pem;
        ssl_certificate_key {work}/key.pem;
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_max_temp_file_size 0;  # nginx's workers need write no file (the folder is the test's)
            proxy_set_header Host $http_host;
            # Appends the address nginx saw to whatever the client sent: the app reads the last one.
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@dataclass(frozen=True)
class Stack:
    https_url: str  # through nginx
    http_url: str  # nginx's plain-http port
    app_url: str  # gunicorn itself, as only nginx should reach it
    certificate: Path  # the self-signed certificate nginx presents (trust it to verify)


def nginx_binary() -> str:
    found = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if found is None:
        pytest.fail("nginx is not installed: run `bash scripts/services.sh` (it installs Debian's nginx-light)")
    return found


class SourceAddress(HTTPAdapter):
    """Connections made from one loopback source address (a client of its own as nginx sees it)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(address: str, stack: Stack) -> requests.Session:
    """A browser-like client at `address` that trusts the stack's certificate and follows no redirects."""
    client = requests.Session()
    client.mount("https://", SourceAddress(address))
    client.mount("http://", SourceAddress(address))
    client.verify = str(stack.certificate)
    client.trust_env = False  # REQUESTS_CA_BUNDLE would win over `verify`, and no proxy stands between
    return client


@contextmanager
def nginx_in_front_of_gunicorn(settings: dict[str, str] | None = None) -> Iterator[Stack]:
    """Serve a production configuration through nginx; `settings` add to (or override) its environment."""
    nginx = nginx_binary()
    work = Path(tempfile.mkdtemp(prefix="kendama-nginx-"))
    database_url = postgres.create_database()
    started: list[subprocess.Popen] = []
    try:
        _build_schema(database_url)
        _self_signed_certificate(work)
        ports = {"app_port": free_port(), "http_port": free_port(), "https_port": free_port()}
        https_url = f"https://127.0.0.1:{ports['https_port']}"
        app_url = f"http://127.0.0.1:{ports['app_port']}"
        environment = _production_environment(database_url, https_url, ports["app_port"], settings or {})
        started.append(_start(["gunicorn", "app:app"], work / "gunicorn.log", environment))
        _wait_for(app_url + "/healthz", started[-1], work / "gunicorn.log")
        (work / "nginx.conf").write_text(NGINX_CONF.format(work=work, **ports))
        nginx_command = [nginx, "-e", str(work / "nginx-error.log"), "-c", str(work / "nginx.conf")]
        started.append(_start([*nginx_command, "-g", "daemon off;"], work / "nginx.log", os.environ.copy()))
        stack = Stack(https_url, f"http://127.0.0.1:{ports['http_port']}", app_url, work / "cert.pem")
        _wait_for(https_url + "/healthz", started[-1], work / "nginx-error.log", verify=str(stack.certificate))
        yield stack
    finally:
        for process in reversed(started):
            _stop(process)
        postgres.drop_database(database_url)
        shutil.rmtree(work, ignore_errors=True)


def _build_schema(database_url: str) -> None:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def _self_signed_certificate(work: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(work / "key.pem"), "-out", str(work / "cert.pem"), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip


def _production_environment(database_url: str, base_url: str, port: int, settings: dict[str, str]) -> dict[str, str]:
    """What an operator sets for production, and nothing of the test run's own configuration."""
    inherited = {key: value for key, value in os.environ.items() if key not in CONFIGURATION}
    return {
        **inherited,
        "PATH": f"{ROOT / '.venv' / 'bin'}:{inherited.get('PATH', '')}",
        "KENDAMA_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "CALENDAR_SECRETS_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url.replace("postgresql+psycopg://", "postgresql://", 1),
        "BASE_URL": base_url,
        "LIVE_SESSIONS_DEFAULT": "off",  # no payment or video keys are needed while sessions are off
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",  # one process: the rate limits' memory storage is one for all requests
        "GUNICORN_THREADS": "4",
        "TRUSTED_PROXY_COUNT": "1",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        **settings,
    }


def _start(command: list[str], log_path: Path, environment: dict[str, str]) -> subprocess.Popen:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_for(url: str, process: subprocess.Popen, log_path: Path, verify: str | bool = True) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            requests.get(url, timeout=2, verify=verify)
            return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
            pytest.fail(f"{process.args[0]} did not answer at {url}:\n{log}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    """End a process this module started, and its children (gunicorn's workers, nginx's)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
