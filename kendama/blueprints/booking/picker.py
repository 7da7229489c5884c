"""The day-and-time picker shared by the booking page and the reschedule page.

Both pages include `booking/_days.html` (which includes `booking/_slots.html`); their htmx
endpoints return those same fragments. `urls` tells the fragments where the page and its two
fragment endpoints live, so one template serves both flows.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import request, url_for

from ...services.booking.offers import DayChoices
from ...services.booking.slots import Slot
from ...services.timezones import in_zone, parse_day


def _date_arg(name: str) -> date | None:
    """A YYYY-MM-DD navigation parameter; anything else (a year out of range too) falls back to the default view."""
    return parse_day(request.values.get(name, ""))


def picker_args() -> tuple[int | None, date | None, date | None]:
    """(duration, first day shown, chosen day) from the query string or form."""
    return request.values.get("duration", type=int), _date_arg("from"), _date_arg("day")


def labelled(slots: list[Slot], zone_name: str) -> list[tuple[Slot, str]]:
    """Each slot with its wall-clock label; a time that happens twice (clocks going back) gets its zone abbreviation."""
    locals_ = [in_zone(slot.start, zone_name) for slot in slots]
    texts = [local.strftime("%H:%M") for local in locals_]
    repeated = {text for text in texts if texts.count(text) > 1}
    return [
        (slot, f"{text} {local.strftime('%Z')}" if text in repeated else text)
        for slot, local, text in zip(slots, locals_, texts, strict=True)
    ]


def context(choices: DayChoices, endpoint: str, *, day_step: int, **ids) -> dict:
    """What the picker fragments need: the choices, labelled slots and where to send requests.

    `day_step` is the number the page gives its "Choose a day" step (the time is the next one):
    the booking page asks for a length first, the reschedule page does not.
    """
    urls = {
        "page": url_for(endpoint, **ids),
        "days": url_for(f"{endpoint}_days", **ids),
        "slots": url_for(f"{endpoint}_slots", **ids),
    }
    return {
        "choices": choices,
        "slots": labelled(choices.day_slots, choices.zone_name),
        "zone_name": choices.zone_name,
        "urls": urls,
        "page_link": page_url(urls["page"], choices),
        "steps": {"day": day_step, "time": day_step + 1},
    }


def page_url(page: str, choices: DayChoices) -> str:
    """The full-page address of a picker state (htmx keeps the address bar in step with it)."""
    params = {"duration": choices.duration_minutes, "from": choices.first_day.isoformat()}
    if choices.day:
        params["day"] = choices.day.isoformat()
    return page + "?" + urlencode(params)
