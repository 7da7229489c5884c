"""The admin console's service: counts and the session search."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kendama.extensions import db
from kendama.models import Notification
from kendama.services import oversight
from kendama.services.errors import InvalidInput, NotAllowed
from kendama.services.oversight import SessionFilter

from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def at(day: int, hour: int) -> datetime:
    return datetime(2030, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def sessions():
    """Three sessions around the night of 30-31 March 2030 (Prague moves to summer time on the 31st)."""
    ana = PlayerFactory(display_name="Ana Player", email="ana@players.test")
    finn = FanFactory(display_name="Finn Fan", email="finn@fans.test")
    early = LiveSessionFactory(player=ana, fan=finn, starts_at=at(30, 22))  # 23:00 on the 30th in Prague
    late = LiveSessionFactory(player=ana, starts_at=at(30, 23), status="cancelled")  # 01:00 on the 31st
    other = LiveSessionFactory(starts_at=at(31, 9), status="completed")
    return early, late, other


def ids(results) -> list[int]:
    return [s.id for s in results.items]


def test_filters_by_status_person_and_local_days(sessions):
    early, late, other = sessions
    admin = AdminFactory(timezone="Europe/Prague")
    find = lambda **f: oversight.find_sessions(admin, SessionFilter(**f), "Europe/Prague")  # noqa: E731
    assert ids(find()) == [other.id, late.id, early.id]  # latest start first
    assert ids(find(status="cancelled")) == [late.id]
    assert ids(find(person="ANA")) == [late.id, early.id]
    assert ids(find(person="finn@fans")) == [early.id]
    # Days are the admin's: 23:00 UTC on the 30th is already the 31st in Prague.
    assert ids(find(start_date=date(2030, 3, 31))) == [other.id, late.id]
    assert ids(find(end_date=date(2030, 3, 30))) == [early.id]
    assert ids(oversight.find_sessions(admin, SessionFilter(end_date=date(2030, 3, 30)), "UTC")) == [late.id, early.id]


def test_pages_and_bad_filters(sessions):
    admin = AdminFactory()
    second = oversight.find_sessions(admin, SessionFilter(), "UTC", page=2, per_page=2)
    assert (second.total, second.pages, ids(second)) == (3, 2, [sessions[0].id])
    with pytest.raises(InvalidInput) as bad_status:
        oversight.find_sessions(admin, SessionFilter(status="lost"), "UTC")
    assert "status" in bad_status.value.fields
    with pytest.raises(InvalidInput) as backwards:
        oversight.find_sessions(admin, SessionFilter(start_date=date(2030, 3, 2), end_date=date(2030, 3, 1)), "UTC")
    assert "end_date" in backwards.value.fields


def test_only_admins(sessions):
    for user in (FanFactory(), PlayerFactory()):
        with pytest.raises(NotAllowed):
            oversight.find_sessions(user, SessionFilter(), "UTC")
        with pytest.raises(NotAllowed):
            oversight.overview(user)


def test_overview_counts(sessions):
    PlayerFactory(setup__verified=False)
    fan = FanFactory()
    db.session.add(Notification(user_id=fan.id, kind="booking_confirmed", status="dead", dedupe_key="x-dead"))
    db.session.commit()
    counts = oversight.overview(AdminFactory(), now=at(1, 0))
    assert counts.players_waiting == 1
    assert counts.players_listed == 2  # Ana and the player the third session made
    assert counts.fans == 4  # Finn, two session fans, and the one above
    assert (counts.sessions_upcoming, counts.sessions_completed, counts.sessions_awaiting_payment) == (1, 1, 0)
    assert counts.notifications_failed == 1 and counts.refunds_needing_attention == 0
