"""Every page's title is its words only: one <title>, no markup in it (the settings page's title
block once swallowed a whole section, so the tab read "Settings<section aria-labelledby=...")."""

from __future__ import annotations

import re

import pytest

from ..support.factories import AdminFactory, FanFactory, PlayerFactory

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def pages_without_arguments(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(("/api", "/_sandbox", "/static"))
    )


@pytest.mark.parametrize("visitor", ["anonymous", "fan", "player", "admin"])
def test_every_page_has_one_title_of_words(app, client, login, visitor):
    if visitor != "anonymous":
        login({"fan": FanFactory, "player": PlayerFactory, "admin": AdminFactory}[visitor]())
    checked = 0
    for path in pages_without_arguments(app):
        response = client.get(path)
        html = response.get_data(as_text=True)
        if response.status_code != 200 or "<html" not in html:
            continue  # a redirect, a refusal, a fragment for htmx or not a page
        titles = TITLE.findall(html)
        assert len(titles) == 1, f"{path} as {visitor}: {len(titles)} titles"
        assert "<" not in titles[0] and ">" not in titles[0] and titles[0].strip(), f"{path}: {titles[0][:120]!r}"
        checked += 1
    assert checked >= 5, f"only {checked} pages answered 200 as {visitor}"
