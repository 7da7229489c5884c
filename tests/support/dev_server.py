"""The README's run command, `bash scripts/dev.sh`, as a new user runs it: in a copy of this
checkout, with nothing configured, on a free port. The end-to-end tests and the browser walk of
the demo start it through here."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from .smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]
# Set by the test command or by people; scripts/dev.sh must work with none of them.
CONFIGURATION = (
    "DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "KENDAMA_ENV", "SECRET_KEY", "CALENDAR_SECRETS_KEY", "BASE_URL",
    "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "VIDEO_PROVIDER", "DAILY_API_KEY", "DAILY_WEBHOOK_SECRET",
)  # fmt: skip
START_SECONDS = 240  # set-up (an idempotent pip check), migrations, demo data, then the server


@dataclass(frozen=True)
class DevServer:
    url: str
    checkout: Path  # the copy it runs in (its instance/ holds the database, outbox and sandboxes)


def scratch_copy(target: Path) -> Path:
    """This checkout's files as `git clone` of a commit of them would give (tracked and new, not ignored).

    The virtualenv and the front-end assets (neither is committed) are shared, so the copy's
    set-up step finds them installed, as on a machine where the command ran before.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    shutil.copytree(ROOT / "kendama" / "static" / "vendor", target / "kendama" / "static" / "vendor")
    return target


@contextmanager
def run_dev_sh(workdir: Path, prepare=None) -> Iterator[DevServer]:
    """scripts/dev.sh serving a fresh copy; `prepare(copy)` runs first. Its log shows when it fails to start."""
    copy = scratch_copy(workdir)
    if prepare is not None:
        prepare(copy)
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key not in CONFIGURATION}
    log_path = copy / "dev.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["bash", "scripts/dev.sh"], cwd=copy, env={**environment, "PORT": str(port)},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"scripts/dev.sh did not serve {url}:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield DevServer(url, copy)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/", timeout=2).status_code == 200
    except requests.RequestException:
        return False
