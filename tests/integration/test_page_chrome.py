"""What every page has around its content: the way back to the admin console on admin pages,
one meta description, a favicon; and where an administrator lands after signing in.

The pages are walked from the authorization matrix (test_authorization_matrix.MATRIX, which has
a row for every route of the URL map), so a new page is checked as soon as it has its row.
"""

from __future__ import annotations

import re

import pytest

from kendama.extensions import db
from kendama.models import User

from ..support.factories import AdminFactory, FanFactory, PlayerFactory
from .test_authorization_matrix import MATRIX, ROLES, Visitor, build_world

pytestmark = pytest.mark.both_databases

ADMIN = ROLES.index("admin")
SIGNED_IN_NON_ADMINS = [ROLES.index(role) for role in ("fan", "other_fan", "player", "other_player")]
CONSOLE_LINK = re.compile(
    r'<nav class="breadcrumb" aria-label="Breadcrumb"><a href="/admin/">.*?Admin console</a>', re.S
)


def admin_pages() -> list[str]:
    """Paths of the GET pages only an administrator gets (every non-admin gets a 404)."""
    return [
        entry.path
        for (method, rule), entry in MATRIX.items()
        if method == "GET"
        and entry.statuses[ADMIN] == 200
        and all(entry.statuses[i] == 404 for i in SIGNED_IN_NON_ADMINS)
        and rule != "/admin/"
    ]


def render_as(app, role: str, paths: list[str], world=None):
    """(path, response) for each path, requested by `role` in the matrix's world."""
    world = world or build_world()
    user = db.session.get(User, world.users[role]) if role != "anonymous" else None
    visitor = Visitor(app, user)
    for path in paths:
        filled = path.format(**world.ids)
        yield filled, visitor.client.get(filled)


def descriptions(html: str) -> list[str]:
    return re.findall(r'<meta name="description" content="([^"]*)">', html)


def test_every_page_has_exactly_one_meta_description(app):
    world = build_world()
    checked, wrong = set(), []
    for role in ROLES:
        column = ROLES.index(role)
        paths = [e.path for (method, _), e in MATRIX.items() if method == "GET" and e.statuses[column] == 200]
        for path, response in render_as(app, role, paths, world):
            html = response.get_data(as_text=True)
            if response.status_code != 200 or "text/html" not in response.content_type or "<html" not in html:
                continue  # JSON, a file, a calendar feed or an htmx fragment: not a page
            checked.add(path)
            found = descriptions(html)
            if len(found) != 1 or len(found[0].strip()) < 30:
                wrong.append(f"{path} as {role}: {found}")
    assert wrong == [], "pages without exactly one meta description:\n" + "\n".join(wrong)
    # The walk reached pages of every kind: public, signed-in, a participant's, admin-only.
    ids = world.ids
    assert {"/", "/players", f"/players/{ids['player']}", "/register", "/dashboard/", "/admin/"} <= checked
    assert {f"/sessions/{ids['upcoming']}/join", "/admin/payments/refunds"} <= checked


def test_the_public_pages_describe_themselves(client):
    player = PlayerFactory(display_name="Desi Description")
    pages = ["/", "/players", f"/players/{player.id}", "/policy", "/login", "/register"]
    found = {path: descriptions(client.get(path).get_data(as_text=True)) for path in pages}
    assert all(len(texts) == 1 for texts in found.values()), found
    assert len({texts[0] for texts in found.values()}) == len(pages), "each public page has its own description"
    assert "Desi Description" in found[f"/players/{player.id}"][0]


def test_the_favicon_answers_and_every_page_links_it(client):
    html = client.get("/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    linked = client.get(icon)
    assert linked.status_code == 200 and linked.content_type.startswith("image/svg+xml")
    assert b"<svg" in linked.data
    # Browsers ask for /favicon.ico whatever the page says.
    asked = client.get("/favicon.ico")
    assert asked.status_code == 200 and asked.content_type.startswith("image/svg+xml")
    assert asked.data == linked.data


def test_every_admin_page_links_back_to_the_console(app):
    pages = admin_pages()
    # The walk found every console page, the money and recordings pages among them.
    assert {"/admin/sessions", "/admin/payments/refunds", "/admin/recordings/{recording}"} <= set(pages)
    missing = []
    for path, response in render_as(app, "admin", [*pages, "/sessions/{upcoming}/booked"]):
        if "text/html" not in response.content_type:
            continue  # a download (the feedback CSV)
        assert response.status_code == 200, path
        if not CONSOLE_LINK.search(response.get_data(as_text=True)):
            missing.append(path)
    assert missing == [], f"admin pages without the way back to the console: {missing}"


@pytest.mark.parametrize(("next_path", "lands_on"), [(None, "/admin/"), ("/admin/sessions", "/admin/sessions")])
def test_an_administrator_who_signs_in_lands_in_the_console(client, login, next_path, lands_on):
    admin = AdminFactory()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    query = f"?next={next_path}" if next_path else ""
    form = {"email": admin.email, "password": "correct-horse-battery", "csrf_token": token.group(1)}
    response = client.post(f"/login{query}", data=form)
    assert response.status_code == 303 and response.location == lands_on
    # Signed in already, the sign-in page sends them on to the same place.
    assert client.get("/login").location == "/admin/"


def test_a_fan_who_signs_in_lands_on_their_dashboard(client, login):
    login(FanFactory())
    assert client.get("/login").location == "/dashboard/"
