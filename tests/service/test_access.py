"""Who reaches a session: the ORM read and the plain-row read apply one rule, role by role."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select

from kendama.models import LiveSession
from kendama.services.access import participant_row, session_for_participant, session_for_viewer
from kendama.services.errors import NotAllowed, NotFound

from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

_sessions = LiveSession.__table__
PARTIES = select(_sessions.c.id, _sessions.c.fan_id, _sessions.c.player_id).where(
    _sessions.c.id == bindparam("session_id")
)


def who(role: str, session: LiveSession):
    return {
        "fan": lambda: session.fan,
        "player": lambda: session.player,
        "admin": AdminFactory,
        "stranger fan": FanFactory,
        "stranger player": PlayerFactory,
        "fan of another session": lambda: LiveSessionFactory().fan,
    }[role]()


@pytest.mark.parametrize(
    ("role", "viewer", "participant"),
    [
        ("fan", None, None),
        ("player", None, None),
        ("admin", None, NotAllowed),
        ("stranger fan", NotFound, NotFound),
        ("stranger player", NotFound, NotFound),
        ("fan of another session", NotFound, NotFound),
    ],
)
def test_each_role_gets_the_same_answer_from_every_read(role, viewer, participant):
    session = LiveSessionFactory()
    user = who(role, session)
    reads = (
        (viewer, lambda: session_for_viewer(user, session.id)),
        (viewer, lambda: session_for_viewer(user, session.id, for_update=True)),
        (participant, lambda: session_for_participant(user, session.id)),
        (participant, lambda: participant_row(user, session.id, PARTIES)),
    )
    for refused, read in reads:
        if refused is None:
            assert read().id == session.id
        else:
            with pytest.raises(refused):
                read()


def test_a_session_that_does_not_exist_is_not_found_even_for_an_admin():
    for user in (AdminFactory(), FanFactory()):
        with pytest.raises(NotFound):
            session_for_viewer(user, 0)
        with pytest.raises(NotFound):
            participant_row(user, 0, PARTIES)
