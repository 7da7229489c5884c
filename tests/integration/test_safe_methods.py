"""A GET changes nothing: every GET route of the app (the authorization matrix's rows, which
test_every_route_has_a_row keeps complete from app.url_map), as each kind of visitor, leaves every
row of every table as it was. State changes are POSTs (or PUT/DELETE in the API) with CSRF.

`GET /dashboard/payouts/refresh` (Stripe's refresh_url) created the player's connected account.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import User

from .test_authorization_matrix import EXCLUDED_PREFIXES, MATRIX, ROLES, Visitor, build_world

pytestmark = pytest.mark.both_databases

# What a GET may write, each with the reason; nothing else is exempt. (The routes under
# EXCLUDED_PREFIXES are not walked: the providers' sandboxes, webhooks and static files.)
WRITTEN_BY_READING = {
    "recording_access_log": "every viewing of a recording (its page, media and captions) is logged for "
    "the participants and admins to see (docs/security.md): the log is of reads",
}

GET_ROWS = sorted((path, entry) for (method, path), entry in MATRIX.items() if method == "GET")


def every_row() -> dict[str, list[tuple]]:
    """The content of every table, as comparable tuples."""
    contents = {}
    for table in db.metadata.sorted_tables:
        if table.name not in WRITTEN_BY_READING:
            rows = db.session.execute(select(table)).all()
            contents[table.name] = sorted(tuple(repr(value) for value in row) for row in rows)
    return contents


def test_the_walk_covers_every_get_route(app):
    walked = {path for path, _ in GET_ROWS}
    routes = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.rule.startswith(tuple(EXCLUDED_PREFIXES))
    }
    assert routes == walked


@pytest.mark.parametrize("role", ROLES)
def test_no_get_changes_any_row(app, role):
    world = build_world()
    user = db.session.get(User, world.users[role]) if role != "anonymous" else None
    visitor = Visitor(app, user)
    changed = []
    before = every_row()
    for rule, entry in GET_ROWS:
        path = entry.path.format(**world.ids)
        response = visitor.send("GET", path, entry, world.ids)
        assert response.status_code != 500, path  # the statuses themselves are the matrix's to check
        after = every_row()
        changed += [f"GET {rule} as {role} changed {name}" for name in after if after[name] != before[name]]
        before = after
    assert changed == []
