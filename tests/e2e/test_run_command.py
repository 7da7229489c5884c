"""The README's run command, as a new user types it: `bash scripts/dev.sh` in a copy of this
checkout, with nothing configured, then the product's main job through HTTP.

A user registers through the form, finishes the account from the link emailed to the development
outbox, books a free lesson, books a paid one and pays on the Stripe sandbox's checkout page, and
finds both confirmation emails in the outbox. This is
the test that would have caught the embedded default answering every booking with a 503.
"""

from __future__ import annotations

import html
import re
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import requests

from ..support.dev_server import run_dev_sh
from ..support.payments_helpers import csrf_from

STALE_SANDBOX_STATE = ("stripe_sandbox.sqlite3", "video_sandbox.sqlite3")

pytestmark = pytest.mark.committed


def plant_stale_sandboxes(copy: Path) -> None:
    """Sandbox state left by an earlier database that the user has since removed."""
    (copy / "instance").mkdir()
    for stale in STALE_SANDBOX_STATE:
        (copy / "instance" / stale).write_bytes(b"state of an earlier database")


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with run_dev_sh(tmp_path_factory.mktemp("clone"), prepare=plant_stale_sandboxes) as server:
        yield server.url, server.checkout


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


def book_first_time(person: Person, player_id: int, clear_of: tuple[str, ...] = ()) -> tuple[requests.Response, str]:
    """Open the booking page, take the first open time two hours clear of `clear_of`, press the booking button; the answer and the time.

    Two demo players can open at the same minute, and a fan cannot be in two sessions at once.
    """
    page = person.get(f"/players/{player_id}/book").text
    starts = re.findall(r'name="start" id="slot-\d+" value="([^"]+)"', page)
    start = next((s for s in starts if all(hours_apart(s, other) >= 2 for other in clear_of)), None)
    assert start, f"no open time on the booking page of player {player_id}"
    form = {name: value for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)}
    form.update(csrf_token=csrf_from(page), start=start, notes="Lunar, please.", recording_consent="y")
    return person.post(f"/players/{player_id}/book", data=form), start


def hours_apart(first: str, second: str) -> float:
    return abs((datetime.fromisoformat(first) - datetime.fromisoformat(second)).total_seconds()) / 3600


def outbox_to(base: str, email: str) -> list[tuple[str, str]]:
    """(subject, message page) of each email to this address, as the development outbox lists them."""
    outbox = requests.get(base + "/dev/mail/", timeout=30).text
    rows = re.findall(r"<tr>\s*<th scope=\"row\"><a href=\"([^\"]+)\">([^<]+)</a></th>\s*<td>([^<]*)</td>", outbox)
    return [(html.unescape(subject), page) for page, subject, to in rows if email in html.unescape(to)]


def confirmations_to(base: str, email: str) -> list[str]:
    return [subject for subject, _ in outbox_to(base, email) if "Confirmed" in subject]


def finish_account(person: Person, email: str, password: str) -> requests.Response:
    """Open the link of the email that finishes the account, and give the password chosen."""
    deadline = time.monotonic() + 30
    while not (found := [p for s, p in outbox_to(person.base, email) if "Finish creating" in s]):
        assert time.monotonic() < deadline, "no email to finish the account arrived"
        time.sleep(0.5)
    message = person.get(found[0]).text
    link = re.search(r"https?://[^/\s]+(/register/confirm/[\w.\-]+)", message)
    assert link, message[:2000]
    page = person.get(link.group(1)).text
    return person.post(link.group(1), data={"csrf_token": csrf_from(page), "password": password})


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
        "birth_year": "1990",
    }
    registered = fan.post("/register", data=form)
    assert registered.status_code == 303 and registered.headers["Location"] == "/register/sent"
    finished = finish_account(fan, email, form["password"])
    assert finished.status_code == 303, finished.text[:500]
    assert fan.get("/dashboard/").status_code == 200

    players = player_ids(fan.get("/players").text)
    assert {"Ava Tamaki", "Leo Martins"} <= set(players), players

    free, free_start = book_first_time(fan, players["Ava Tamaki"])
    assert free.status_code == 303 and re.search(r"/sessions/\d+/booked$", free.headers["Location"]), free.text[:500]

    paid, _ = book_first_time(fan, players["Leo Martins"], clear_of=(free_start,))
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
    assert paid_back.status_code in (302, 303) and "/payment?checkout_session_id=" in paid_back.headers["Location"], (
        paid_back.text[:500]
    )

    deadline = time.monotonic() + 30  # the webhook confirms the booking, then its email goes out
    while len(found := confirmations_to(base, email)) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert sorted(name.split(" with ")[1].split(" on ")[0] for name in found) == ["Ava Tamaki", "Leo Martins"], found
