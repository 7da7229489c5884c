"""The README's run command, as a new user types it: `bash scripts/dev.sh` in a copy of this
checkout, with nothing configured, then the product's main job through HTTP.

A user registers through the form, books a free lesson, books a paid one and pays on the Stripe
sandbox's checkout page, and finds both confirmation emails in the development outbox. This is
the test that would have caught the embedded default answering every booking with a 503.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from ..payments_helpers import csrf_from
from ..smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]
# Set by the test command or by people; scripts/dev.sh must work with none of them.
CONFIGURATION = (
    "DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "KENDAMA_ENV", "SECRET_KEY", "BASE_URL",
    "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DAILY_API_KEY", "DAILY_WEBHOOK_SECRET",
)  # fmt: skip
STALE_SANDBOX_STATE = ("stripe_sandbox.sqlite3", "video_sandbox.sqlite3")
START_SECONDS = 240  # set-up (an idempotent pip check), migrations, demo data, then the server

pytestmark = pytest.mark.committed


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


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """scripts/dev.sh serving on a free port; its log is shown when it does not come up."""
    copy = scratch_copy(tmp_path_factory.mktemp("clone"))
    (copy / "instance").mkdir()
    for stale in STALE_SANDBOX_STATE:  # left by an earlier database the user has since removed
        (copy / "instance" / stale).write_bytes(b"state of an earlier database")
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key not in CONFIGURATION}
    log_path = copy / "dev.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["bash", "scripts/dev.sh"], cwd=copy, env={**environment, "PORT": str(port)},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _answers(base):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"scripts/dev.sh did not serve {base}:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, copy
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _answers(base: str) -> bool:
    try:
        return requests.get(base + "/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


class Person(requests.Session):
    """Someone with a browser that follows no redirects by itself (each one is checked)."""

    def __init__(self, base: str):
        super().__init__()
        self.base = base

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url if url.startswith("http") else self.base + url, *args, **kwargs)


def player_ids(page: str) -> dict[str, int]:
    """The listing's players by name: each card's heading links to the profile."""
    return {
        html.unescape(name): int(pid) for pid, name in re.findall(r'href="/players/(\d+)[^"]*">([^<]+)</a></h3>', page)
    }


def book_first_time(person: Person, player_id: int) -> requests.Response:
    """Open the booking page, take the first open time, press the booking button."""
    page = person.get(f"/players/{player_id}/book").text
    start = re.search(r'name="start" id="slot-1" value="([^"]+)"', page)
    assert start, f"no open time on the booking page of player {player_id}"
    form = {name: value for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)}
    form.update(csrf_token=csrf_from(page), start=start.group(1), notes="Lunar, please.", recording_consent="y")
    return person.post(f"/players/{player_id}/book", data=form)


def confirmations_to(base: str, email: str) -> list[str]:
    outbox = requests.get(base + "/dev/mail/", timeout=30).text
    rows = re.findall(r"<tr>\s*<th scope=\"row\"><a [^>]*>([^<]+)</a></th>\s*<td>([^<]*)</td>", outbox)
    return [html.unescape(subject) for subject, to in rows if email in html.unescape(to) and "Confirmed" in subject]


def test_a_new_database_starts_with_new_sandboxes(running):
    _base, copy = running
    for stale in STALE_SANDBOX_STATE:
        state = copy / "instance" / stale
        assert not state.exists() or b"earlier database" not in state.read_bytes()


def test_a_new_user_books_free_and_paid_and_gets_both_confirmations(running):
    base, _copy = running
    fan = Person(base)
    email = f"new-{uuid.uuid4().hex[:8]}@example.org"
    form = {
        "csrf_token": csrf_from(fan.get("/register").text),
        "display_name": "New Fan",
        "email": email,
        "password": "kendama-first-lesson-9",
        "role": "fan",
        "timezone": "America/New_York",
    }
    assert fan.post("/register", data=form).status_code == 303

    players = player_ids(fan.get("/players").text)
    assert {"Ava Tamaki", "Leo Martins"} <= set(players), players

    free = book_first_time(fan, players["Ava Tamaki"])
    assert free.status_code == 303 and re.search(r"/sessions/\d+/booked$", free.headers["Location"]), free.text[:500]

    paid = book_first_time(fan, players["Leo Martins"])
    assert paid.status_code == 303 and "/_sandbox/stripe/" in paid.headers["Location"], paid.text[:500]
    checkout = paid.headers["Location"]
    assert re.search(r"<h1>Pay EUR \d+\.\d\d</h1>", fan.get(checkout).text)
    card = {
        "card_number": "4242 4242 4242 4242",
        "card_expiry": "12 / 34",
        "card_cvc": "123",
        "cardholder_name": "New Fan",
    }
    paid_back = fan.post(checkout, data=card)
    assert paid_back.status_code in (302, 303) and "/payment?checkout_session_id=" in paid_back.headers["Location"], paid_back.text[:500]

    deadline = time.monotonic() + 30  # the webhook confirms the booking, then its email goes out
    while len(found := confirmations_to(base, email)) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert sorted(name.split(" with ")[1].split(" on ")[0] for name in found) == ["Ava Tamaki", "Leo Martins"], found
