"""Insecure direct object references: an id in a URL is never a permission.

The authorization matrix (tests/integration/test_authorization_matrix.py) sends every route to
every kind of visitor with real objects and checks the status. This module does not copy it:
it checks that the matrix covers every route with an id, that its table refuses (404) other
people's sessions and everything admin-only to non-admins, and that those refusals carry none
of the data they protect.
"""

from __future__ import annotations

import re
import uuid

import pytest

from kendama.extensions import db
from kendama.models import LiveSession, SessionRecording, User

from ..integration.test_authorization_matrix import EXCLUDED_PREFIXES, MATRIX, ROLES, Visitor, build_world

pytestmark = pytest.mark.both_databases

# Every kind of id a route may carry, and who may use it. A new kind fails
# test_every_route_with_an_id_says_whose_it_is until it is added here and to the matrix.
ID_KINDS = {
    "session_id": "the session's fan and player, and admins",
    "recording_id": "admins; participants and share-link holders only through signed links",
    "player_id": "anyone for a public player's profile; admins for verification",
    "note_id": "the session's player (its session_id route decides who reads the notes)",
    "clip_id": "the session's fan deletes it; everyone else only through signed links (participants, admins)",
    "refund_id": "admins",
    "entry_id": "the fan whose place in a waitlist it is",
    "package_id": "anyone signed in buys a listed player's package (but its player); it is public on the profile",
    "purchase_id": "the fan who bought it (admins may look at it)",
    "report_id": "admins (a no-show report; participants reach it through their session_id routes)",
    "notification_id": "admins",
    "trick_id": "admins (the catalog is public through GET /api/tricks, which takes no id)",
    "review_id": "a public review: its player replies, anyone signed in but its author reports it, admins hide "
    "it; a private one is 404 to everyone but its fan, its player and admins",
    "user_id": "admins",
    "token": "whoever holds the capability (calendar feed, password reset, email confirmation, a guardian's "
    "consent and cancel links, which name the young fan and the session inside the signature)",
    "key": "nobody outside development (the outbox viewer)",
    "index": "nobody outside development (the outbox viewer)",
}
PARAMETER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")
STRANGERS = ("other_fan", "other_player")


def rules_with_ids(app) -> dict[tuple[str, str], list[str]]:
    return {
        (method, rule.rule): PARAMETER.findall(rule.rule)
        for rule in app.url_map.iter_rules()
        if PARAMETER.search(rule.rule) and not rule.rule.startswith(tuple(EXCLUDED_PREFIXES))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def expected(route: tuple[str, str], role: str) -> int:
    return MATRIX[route].statuses[ROLES.index(role)]


def test_every_route_with_an_id_says_whose_it_is(app):
    routes = rules_with_ids(app)
    assert len(routes) >= 40, "the walk found the app's id routes"
    unknown = sorted({name for names in routes.values() for name in names} - ID_KINDS.keys())
    assert unknown == [], "a new kind of id in a route: say in ID_KINDS who may use it"
    assert sorted(set(routes) - MATRIX.keys()) == [], "a route with an id but no row in the authorization matrix"


def test_the_matrix_refuses_other_peoples_sessions(app):
    session_routes = [route for route, names in rules_with_ids(app).items() if "session_id" in names]
    assert len(session_routes) >= 25
    for route in session_routes:
        assert [expected(route, role) for role in STRANGERS] == [404, 404], route
        assert expected(route, "anonymous") in (302, 401), route


def test_the_matrix_refuses_admin_objects_to_everyone_else(app):
    admin_routes = [route for route in rules_with_ids(app) if route[1].startswith(("/admin/", "/api/admin/"))]
    assert len(admin_routes) >= 5
    for route in admin_routes:
        others = [expected(route, role) for role in ("fan", "other_fan", "player", "other_player")]
        assert set(others) <= {403, 404}, route  # the API says 403 to a signed-in non-admin, pages 404


def planted_secrets(world) -> list[str]:
    """Unique text in what the matrix's objects hold, to look for in every refusal."""
    mark = uuid.uuid4().hex[:10]
    secrets = {
        "notes": f"secret notes {mark}",
        "fan_name": f"Fan {mark}",
        "fan_email": f"fan-{mark}@example.com",
        "captions": f"secret words {mark}",
    }
    upcoming = db.session.get(LiveSession, world.ids["upcoming"])
    upcoming.notes = secrets["notes"]
    fan = db.session.get(User, world.users["fan"])
    fan.display_name, fan.email = secrets["fan_name"], secrets["fan_email"]
    recording = db.session.get(SessionRecording, world.ids["recording"])
    recording.captions_vtt = f"WEBVTT\n\n00:00.000 --> 00:01.000\n{secrets['captions']}\n"
    db.session.commit()
    return list(secrets.values()) + [world.ids["share_token"], world.ids["calendar_token"]]


@pytest.mark.parametrize("role", STRANGERS)
def test_a_refusal_carries_none_of_the_data_it_protects(app, role):
    world = build_world()
    secrets = planted_secrets(world)
    owner = Visitor(app, db.session.get(User, world.users["fan"]))
    assert secrets[0] in owner.client.get(f"/sessions/{world.ids['upcoming']}/booked").get_data(as_text=True)
    visitor = Visitor(app, db.session.get(User, world.users[role]))
    connection = db.session.get_bind()
    db.session.remove()
    leaks = []
    for (method, rule), entry in sorted(MATRIX.items()):
        if "<int:session_id>" not in rule or expected((method, rule), role) != 404:
            continue
        savepoint = connection.begin_nested()
        try:
            response = visitor.send(method, entry.path.format(**world.ids), entry, world.ids)
        finally:
            db.session.remove()
            savepoint.rollback()
        body = response.get_data(as_text=True)
        if response.status_code != 404 or any(secret in body for secret in secrets):
            leaks.append(f"{method} {rule}: {response.status_code}")
    listing = visitor.api.get("/api/sessions", headers=visitor.bearer)
    listed = {item["id"] for item in listing.json["items"]}
    if {world.ids["upcoming"], world.ids["past"]} & listed or any(secret in listing.text for secret in secrets):
        leaks.append("GET /api/sessions lists another person's session")
    assert leaks == [], f"as {role}:\n" + "\n".join(leaks)
