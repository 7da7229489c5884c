"""Browser tests: Debian's chromium driven by Playwright against the app on a live server."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from kendama.services import demo_data

from ..support.live_server import serve

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.browser


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Calls: camera and microphone allowed without a prompt, and Chromium's fake camera (a test
    # pattern) and microphone (a beep, or the WAV given with --use-file-for-fake-audio-capture).
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def embedded_settings(state: Path) -> dict:
    """What scripts/dev.sh's app has, with its sandboxes' state and its mail kept in `state`."""
    return {
        "STRIPE_SANDBOX_TRANSPORT": "http",
        "STRIPE_SANDBOX_DB": str(state / "stripe_sandbox.sqlite3"),
        "VIDEO_SANDBOX_DB": str(state / "video_sandbox.sqlite3"),
        "VIDEO_SANDBOX_DELIVER_WEBHOOKS": True,
        "MAIL_OUTBOX_DIR": str(state / "mail"),
        "DEV_MAIL_PAGES": True,
    }


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app on a real server with the demo data (players, availability, a fan, an admin).

    The embedded default, as scripts/dev.sh serves it: SQLite built by the migrations, the adapters
    reach the Stripe and video sandboxes over HTTP, both sandboxes post their signed webhooks back
    to the server, and mail lands in a development outbox that /dev/mail shows. One server for the
    whole browser suite; PostgreSQL is covered by the integration tests of the same flows.
    """
    with serve(embedded_settings(tmp_path_factory.mktemp("live-server")), backend="sqlite") as server:
        with server.app_context():
            list(demo_data.seed())
        yield server


@pytest.fixture(scope="session")
def base_url(live_app):
    """pytest-playwright resolves relative page.goto() paths against this."""
    return live_app.url


_axe = Axe()


class PageChecker:
    """Runs axe-core on a page in light and dark mode and saves a screenshot of each."""

    def __init__(self, name_prefix: str):
        self.prefix = name_prefix
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def check(self, page, name: str) -> None:
        problems = []
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=str(ARTIFACTS / f"{self.prefix}-{name}-{scheme}.png"), full_page=True)
            results = _axe.run(page)
            if results.violations_count:
                problems.append(f"[{scheme}] {results.generate_report()}")
        page.emulate_media(color_scheme="light")
        assert not problems, "\n".join(problems)


@pytest.fixture
def a11y(request):
    """`a11y.check(page, "step-name")`: zero axe violations in both colour schemes, plus screenshots."""
    return PageChecker(re.sub(r"\W+", "-", request.node.name).strip("-"))


CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/register/confirm/[\w.\-]+)")


def finish_account_from_email(page, email: str, password: str, a11y=None) -> None:
    """After registering: the page says to check the email; open its link (from the development
    outbox) in the same browser and finish with the password chosen."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email to finish creating your account")
    if a11y:
        a11y.check(page, "registration-sent")
    page.goto("/dev/mail")
    row = page.locator("tr", has_text=email)
    row.get_by_role("link", name="Finish creating your Kendama Live account").click()
    link = CONFIRM_LINK.search(page.locator(".mail-text").inner_text())
    assert link, "no link to finish the account in the email"
    page.goto(link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Finish creating your account")
    if a11y:
        a11y.check(page, "registration-confirm")
    page.get_by_label("The password you chose").fill(password)
    page.get_by_role("button", name="Finish creating my account").click()


@pytest.fixture
def unlist_afterwards(live_app):
    """`unlist_afterwards(player_id)`: a player a test lists on the shared server leaves the listing
    when the test ends, so the tests that count the demo players find only them."""
    from sqlalchemy import select

    from kendama.extensions import db
    from kendama.models import Profile

    player_ids: list[int] = []
    yield player_ids.append
    with live_app.app_context():
        for profile in db.session.scalars(select(Profile).where(Profile.user_id.in_(player_ids))):
            profile.accepts_bookings = False
        db.session.commit()
