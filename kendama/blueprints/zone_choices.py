"""The choices of every time-zone select: none may start on a zone the person did not choose.

A select shows its first option when its value is not among the choices, and that used to be
Africa/Abidjan. So every list starts with an empty "Choose your time zone", and keeps a saved
zone that is valid but not listed (GMT, US/Eastern, set through the API) so it still shows.
"""

from __future__ import annotations

from ..services.timezones import all_zone_names, is_valid_zone

CHOOSE_ZONE = "Choose your time zone"
ZONE_REQUIRED = "Choose your time zone."


def zone_choices(current: str | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs: the empty choice, `current` if the list leaves it out, every zone."""
    names = all_zone_names()
    kept = (current,) if current and current not in names and is_valid_zone(current) else ()
    return [("", CHOOSE_ZONE), *((name, name.replace("_", " ")) for name in (*kept, *names))]
