"""The coaching layer on the pages: goals picked on the booking form and shown to the player,
progress marked on the session page, and the fan's progress page with its chart and table."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import LiveSession, ProgressMark, SessionGoal, Trick, utcnow
from kendama.services.timezones import iso_utc

from ..conftest import csrf_token_from
from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory
from .test_html_booking import day_query, form_token

pytestmark = pytest.mark.both_databases


def trick(name: str) -> Trick:
    return db.session.scalar(select(Trick).where(Trick.name == name))


def booking_form(client, player, **fields):
    page = client.get(f"/players/{player.id}/book", query_string=day_query(weekday_at(10))).get_data(as_text=True)
    data = {
        "csrf_token": form_token(page),
        "duration": "30",
        "start": iso_utc(weekday_at(10)),
        **{k: v for k, v in day_query(weekday_at(10)).items() if k != "duration"},
        **fields,
    }
    return page, client.post(f"/players/{player.id}/book", data=data)


def test_the_fan_picks_goal_tricks_on_the_booking_form_and_the_player_sees_them(client, login):
    fan, player = FanFactory(), PlayerFactory()
    login(fan)
    lunar, airplane = trick("Lunar"), trick("Airplane")
    page, response = booking_form(
        client, player, goal_1=str(lunar.id), goal_2="", goal_3=str(airplane.id), goal_note="Land lunar ten times."
    )
    # Without JavaScript the pickers are plain selects, grouped by family.
    assert '<label for="goal_1">Goal trick 1</label>' in page
    assert (
        '<optgroup label="Balance">' in page
        and f'<option data-names="Lunar" value="{lunar.id}">Lunar (level 5)</option>' in page
    )
    # Each option carries the names the searching combobox matches (js/goal-picker.js).
    assert f'<option data-names="Big Cup|Ozara" value="{trick("Big Cup").id}">Big Cup (level 1)</option>' in page
    assert response.status_code == 303, response.get_data(as_text=True)
    booked = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lunar, Airplane" in booked and "Land lunar ten times." in booked
    session = db.session.scalar(select(LiveSession).where(LiveSession.fan_id == fan.id))
    assert [g.trick_id for g in db.session.scalars(select(SessionGoal).order_by(SessionGoal.position))] == [
        lunar.id,
        airplane.id,
    ]

    login(player)
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert "Goal tricks:</span> Lunar, Airplane. Land lunar ten times." in dashboard
    session_page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert "Lunar (level 5)" in session_page and "Land lunar ten times." in session_page


def test_a_goal_that_is_not_in_the_catalog_is_refused_on_the_page(client, login):
    login(FanFactory())
    _page, response = booking_form(client, PlayerFactory(), goal_1="999999")
    assert response.status_code == 422
    assert "Choose a trick from the catalog." in response.get_data(as_text=True)
    assert db.session.scalar(select(LiveSession.id)) is None


def test_the_player_marks_progress_and_the_fan_reads_it_on_the_progress_page(client, login):
    start = utcnow() - timedelta(hours=1)
    session = LiveSessionFactory(
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        status="completed",
    )
    lunar = trick("Lunar")
    db.session.add(SessionGoal(session_id=session.id, trick_id=lunar.id, position=1))
    db.session.commit()
    login(session.player)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert "<legend>Lunar</legend>" in page
    response = client.post(
        f"/sessions/{session.id}/progress",
        data={
            "csrf_token": form_token(page),
            "trick": str(lunar.id),
            f"state-{lunar.id}": "landed",
            f"note-{lunar.id}": "Clean!",
        },
    )
    assert response.status_code == 303
    assert db.session.scalar(select(ProgressMark.state)) == "landed"

    login(session.fan)
    progress = client.get("/progress").get_data(as_text=True)
    assert '<svg class="progress-chart" role="img"' in progress
    assert "Lunar: landed. The table below has the details." in progress
    # The chart names its rows and dates its lesson, in the fan's zone.
    assert ">Landed</text>" in progress and ">Not yet</text>" in progress
    lesson_day = start.replace(tzinfo=UTC).astimezone(ZoneInfo(session.fan.timezone)).strftime("%d %b")
    assert f">{lesson_day}</text>" in progress
    assert "<td>Landed</td><td>Clean!</td>" in progress
    suggested = progress.split("Try next")[1].split("</section>")[0]  # one level up in the same family
    assert "UFO (level 6)" in suggested and "Stilt (level 6)" in suggested
    assert "Lunar Flip" not in suggested


def test_a_fan_cannot_mark_progress(client, login):
    start = utcnow() - timedelta(hours=1)
    session = LiveSessionFactory(
        starts_at=start, ends_at=start + timedelta(minutes=30), blocked_until=start + timedelta(minutes=30)
    )
    login(session.fan)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert 'id="progress-title"' not in page
    lunar = trick("Lunar")
    client.post(
        f"/sessions/{session.id}/progress",
        data={"csrf_token": csrf_token_from(client), "trick": str(lunar.id), f"state-{lunar.id}": "landed"},
    )
    assert db.session.scalar(select(ProgressMark.id)) is None


def test_a_player_lists_the_tricks_they_teach_and_fans_find_them_by_trick(client, login, api_token, cache):
    teacher, other = PlayerFactory(display_name="Teacher Tomo"), PlayerFactory(display_name="Other Oli")
    login(teacher)
    page = client.get("/dashboard/tricks").get_data(as_text=True)
    lunar, bird = trick("Lunar"), trick("Bird")
    assert f'<label for="trick-{lunar.id}">Lunar (level 5)</label>' in page
    # The public profile is cached: seeing it before the change proves the change reaches it.
    assert "<h3>Teaches</h3>" not in client.get(f"/players/{teacher.id}").get_data(as_text=True)
    response = client.post(
        "/dashboard/tricks", data={"csrf_token": form_token(page), "trick": [str(lunar.id), str(bird.id)]}
    )
    assert response.status_code == 303
    profile = client.get(f"/players/{teacher.id}").get_data(as_text=True)
    assert "<h3>Teaches</h3>" in profile and "<li>Bird</li><li>Lunar</li>" in profile

    listing = client.get("/players", query_string={"trick": str(lunar.id)}).get_data(as_text=True)
    assert "Teacher Tomo" in listing and "Other Oli" not in listing
    found = client.get(f"/api/players?trick={lunar.id}").json["items"]
    assert [item["id"] for item in found] == [teacher.id]
    assert other.id in [item["id"] for item in client.get("/api/players").json["items"]]
