"""The "Add to calendar" links (services/calendars/links.py): exact parameters, UTC with a Z, escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from kendama.services.calendars.links import CalendarEvent, google_calendar_url, outlook_calendar_url

PRAGUE = ZoneInfo("Europe/Prague")
PAGE = "https://kendama.example/sessions/7/booked"


def _event(**changes) -> CalendarEvent:
    values = {
        "title": "Kendama lesson with Ava",
        "starts_at": datetime(2027, 1, 11, 10, 0, tzinfo=UTC),
        "ends_at": datetime(2027, 1, 11, 10, 30, tzinfo=UTC),
        "details": f"A 30-minute live kendama lesson.\n\nSession page: {PAGE}",
        "location": PAGE,
    }
    return CalendarEvent(**{**values, **changes})


def _split(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qs(parts.query, keep_blank_values=True)


def test_google_link_has_exactly_the_template_parameters():
    base, query = _split(google_calendar_url(_event()))
    assert base == "https://calendar.google.com/calendar/render"
    assert query == {
        "action": ["TEMPLATE"],
        "text": ["Kendama lesson with Ava"],
        "dates": ["20270111T100000Z/20270111T103000Z"],
        "details": [f"A 30-minute live kendama lesson.\n\nSession page: {PAGE}"],
        "location": [PAGE],
    }


def test_outlook_link_has_exactly_the_compose_parameters():
    base, query = _split(outlook_calendar_url(_event()))
    assert base == "https://outlook.live.com/calendar/0/deeplink/compose"
    assert query == {
        "path": ["/calendar/action/compose"],
        "rru": ["addevent"],
        "subject": ["Kendama lesson with Ava"],
        "startdt": ["2027-01-11T10:00:00Z"],
        "enddt": ["2027-01-11T10:30:00Z"],
        "body": [f"A 30-minute live kendama lesson.\n\nSession page: {PAGE}"],
        "location": [PAGE],
    }


def test_spaces_are_percent_encoded_not_plus_signs():
    # Outlook's deeplink shows a "+" as it is; %20 reads as a space everywhere.
    for url in (google_calendar_url(_event()), outlook_calendar_url(_event())):
        assert "Kendama%20lesson%20with%20Ava" in url
        assert "+" not in url
    assert "dates=20270111T100000Z/20270111T103000Z" in google_calendar_url(_event())
    assert "path=/calendar/action/compose&rru=addevent&" in outlook_calendar_url(_event())


def test_times_in_a_local_zone_are_written_in_utc_across_the_end_of_summer_time():
    # 31 Oct 2027, Prague: 03:00 summer time (UTC+2) becomes 02:00 winter time (UTC+1). A lesson
    # from 02:30 summer time to 02:30 winter time (the second 02:30, fold=1) lasts an hour.
    start = datetime(2027, 10, 31, 2, 30, tzinfo=PRAGUE)
    end = datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=PRAGUE)
    event = _event(starts_at=start, ends_at=end)

    _, google = _split(google_calendar_url(event))
    _, outlook = _split(outlook_calendar_url(event))

    assert google["dates"] == ["20271031T003000Z/20271031T013000Z"]
    assert (outlook["startdt"], outlook["enddt"]) == (["2027-10-31T00:30:00Z"], ["2027-10-31T01:30:00Z"])


def test_times_in_a_local_zone_are_written_in_utc_across_the_start_of_summer_time():
    # 28 Mar 2027, Prague: 02:00 winter time jumps to 03:00 summer time.
    start = datetime(2027, 3, 28, 1, 45, tzinfo=PRAGUE)  # UTC+1
    event = _event(starts_at=start, ends_at=(start.astimezone(UTC) + timedelta(minutes=30)).astimezone(PRAGUE))
    assert event.ends_at.hour == 3  # 03:15 on the wall clock, half an hour later

    _, google = _split(google_calendar_url(event))
    _, outlook = _split(outlook_calendar_url(event))

    assert google["dates"] == ["20270328T004500Z/20270328T011500Z"]
    assert (outlook["startdt"], outlook["enddt"]) == (["2027-03-28T00:45:00Z"], ["2027-03-28T01:15:00Z"])


NAMES = [
    'Doe, "Jo"; Ann',
    "Ava & Leo #1 100% <b>",
    "Zoë/Chloé?x=1&y=2",
    "Mika+Sora = 🪀",
    "Line\nbreak",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("build,title_key", [(google_calendar_url, "text"), (outlook_calendar_url, "subject")])
def test_a_players_name_that_needs_escaping_arrives_intact(build, title_key, name):
    title = f"Kendama lesson with {name}"
    url = build(_event(title=title, details=f"With {name}."))
    _, query = _split(url)
    assert query[title_key] == [title]
    assert query["details" if title_key == "text" else "body"] == [f"With {name}."]
    # Nothing of the name leaks into the URL's structure: one parameter each, nothing raw.
    assert len(query) == (5 if title_key == "text" else 7)
    assert not any(ch in urlsplit(url).query for ch in ' "<>#;\n+')


def test_a_naive_time_is_refused_rather_than_read_in_the_servers_zone():
    with pytest.raises(ValueError):
        google_calendar_url(_event(starts_at=datetime(2027, 1, 11, 10, 0)))
    with pytest.raises(ValueError):
        outlook_calendar_url(_event(ends_at=datetime(2027, 1, 11, 10, 30)))
