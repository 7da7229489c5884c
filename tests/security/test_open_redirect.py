"""Open redirects: `next=` (sign-in, registration, the sign-in asked for midway through booking)
leads only to a path on this site, however the address is written or encoded
(blueprints/redirects.py). Every other redirect goes to an address the server made.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest

from kendama.extensions import db
from kendama.models import User

from ..conftest import csrf_token_from
from ..support.factories import PASSWORD, FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

HOSTILE = [  # some are odd paths on this site once decoded (/%2F/evil.example): those may stay
    "//evil.example",
    "//evil.example/path",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "https://evil.example",
    "https:evil.example",
    "https:/evil.example",
    "http:\\\\evil.example",
    "HTTPS://evil.example",
    "//evil.example%2f..",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example@localhost",
    "/@evil.example",
    "//localhost@evil.example",
    "https://localhost.evil.example",
    "%2F%2Fevil.example",
    "%5C%5Cevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "/%2e%2e//evil.example",
]


def stays_on_site(location: str) -> bool:
    """Whether a browser following this Location stays on this site (it drops tabs and newlines,
    reads backslashes as slashes, and decodes nothing before deciding the host)."""
    browser_view = location.replace("\\", "/").replace("\t", "").replace("\n", "").replace("\r", "").strip()
    parts = urlsplit(browser_view)
    return not parts.scheme and not parts.netloc and browser_view.startswith("/") and not browser_view.startswith("//")


# The ones a browser would take off the site if they were followed as they are.
OFF_SITE = [target for target in HOSTILE if not stays_on_site(target)]


def test_the_judge_of_this_module_knows_off_site_from_on_site():
    assert len(OFF_SITE) >= 20
    assert stays_on_site("/dashboard/?tab=1") and stays_on_site("/players/%2F%2Fevil.example")
    assert not any(stays_on_site(location) for location in ("//evil.example", "/\\evil.example", "/\t/evil.example"))


@pytest.mark.parametrize("target", HOSTILE)
def test_signing_in_never_leads_off_the_site(client, target):
    user = FanFactory()
    response = client.post(
        f"/login?next={quote(target, safe='')}",
        data={"csrf_token": csrf_token_from(client), "email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 303 and stays_on_site(response.headers["Location"]), response.headers["Location"]
    # Signed in already, the sign-in page sends people on at once: the same rule.
    again = client.get("/login", query_string={"next": target})
    assert again.status_code == 303 and stays_on_site(again.headers["Location"]), again.headers["Location"]


@pytest.mark.parametrize("target", HOSTILE)
def test_registering_never_leads_off_the_site(client, target):
    form = {
        "csrf_token": csrf_token_from(client),
        "display_name": "Ola",
        "email": "ola@example.com",
        "password": "long-enough-pw",
        "role": "fan",
        "timezone": "UTC",
        "birth_year": "1990",
        "next": target,
    }
    response = client.post("/register", data=form)
    assert response.status_code == 303 and stays_on_site(response.headers["Location"]), response.headers["Location"]
    assert db.session.scalar(db.select(User).where(User.email == "ola@example.com")) is not None


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_sign_in_and_registration_pages_never_pass_an_off_site_next_on(client, target):
    # Each page links to the other, carrying a `next` that is on this site; an off-site one is dropped.
    login_page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    register_page = client.get("/register", query_string={"next": target}).get_data(as_text=True)
    assert '<a href="/register">Create an account</a>' in login_page
    assert '<a href="/login">Sign in</a>' in register_page


def test_a_next_with_a_nul_character_is_refused_outright(client):
    user = FanFactory()
    form = {"csrf_token": csrf_token_from(client), "email": user.email, "password": PASSWORD}
    response = client.post("/login?next=%00//evil.example", data=form)
    assert response.status_code == 400 and "Location" not in response.headers


def test_a_next_on_this_site_is_followed(client):
    user = FanFactory()
    response = client.post(
        "/login?next=/players%3Fq%3Dspin",
        data={"csrf_token": csrf_token_from(client), "email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/players?q=spin"


def test_booking_signed_out_sends_to_sign_in_with_a_next_on_this_site(client):
    player = PlayerFactory()
    response = client.post(
        f"/players/{player.id}/book",
        data={"csrf_token": csrf_token_from(client), "start": "x", "duration": "30", "next": "//evil.example"},
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and not location.netloc
    (next_value,) = parse_qs(location.query)["next"]
    assert stays_on_site(next_value) and "evil" not in next_value
