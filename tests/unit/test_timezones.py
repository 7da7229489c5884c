"""Time-zone helpers: reading the browser's zone cookie."""

from __future__ import annotations

import pytest

from kendama.services.timezones import zone_from_cookie


@pytest.mark.parametrize(
    ("cookie", "zone"),
    [
        ("America/New_York", "America/New_York"),
        ("America%2FNew_York", "America/New_York"),  # as earlier versions of app.js wrote it
        ("America%2FArgentina%2FBuenos_Aires", "America/Argentina/Buenos_Aires"),
        ("Etc/GMT+5", "Etc/GMT+5"),
        ("UTC", "UTC"),
    ],
)
def test_a_zone_cookie_names_its_zone_written_plain_or_url_encoded(cookie, zone):
    assert zone_from_cookie(cookie) == zone


@pytest.mark.parametrize("cookie", [None, "", "Mars/Olympus_Mons", "America%2FNowhere", "%", "../../etc/passwd"])
def test_a_cookie_that_names_no_zone_is_none(cookie):
    assert zone_from_cookie(cookie) is None
