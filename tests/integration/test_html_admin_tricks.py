"""The trick catalog's admin page through HTTP: the list by family, search, and adding, renaming,
merging and retiring tricks with real forms (who may use it: test_authorization_matrix.py)."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from kendama.extensions import db
from kendama.models import Trick
from kendama.services.coaching import catalog

from ..conftest import csrf_token_from
from ..support.factories import AdminFactory, PlayerFactory

pytestmark = pytest.mark.both_databases


def trick(name: str) -> Trick:
    return db.session.scalar(select(Trick).where(Trick.name == name))


def trick_count() -> int:
    return db.session.scalar(select(func.count(Trick.id)))


def row(name: str) -> str:
    """How an offered trick's row starts (its name also appears in other rows' merge choices)."""
    return f'<th scope="row" data-label="Name">{name}</th>'


@pytest.fixture
def admin(client, login):
    login(AdminFactory())
    return client


def post(client, path: str, **fields):
    return client.post(path, data={"csrf_token": csrf_token_from(client), **fields})


def section(html: str, title_id: str) -> str:
    """The text of the page's section headed by the element with this id."""
    start = html.index(f'id="{title_id}"')
    return html[start : html.find("</section>", start)]


def test_the_catalog_is_listed_by_family_with_other_names_and_levels(admin):
    response = admin.get("/admin/tricks")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.count("<h1") == 1
    assert "<title>Trick catalog · Admin · Kendama Live</title>" in html and 'href="/admin/"' in html
    positions = [html.index(f'<h3 id="family-{family}">') for family in ("cups", "spike", "airplane_lighthouse")]
    assert positions == sorted(positions)
    big_cup = html.index(row("Big Cup"))
    assert positions[0] < big_cup < positions[1]
    assert '<td data-label="Also known as">Ozara</td>' in html[big_cup:]
    assert html.index(row("Earth Turn")) > positions[1]
    assert "No retired tricks." in html and "No merged tricks." in html
    assert 'href="/admin/tricks"' in admin.get("/admin/").get_data(as_text=True)


def test_every_control_has_its_own_label_and_id(admin):
    html = admin.get("/admin/tricks").get_data(as_text=True)
    controls = ControlsAndLabels()
    controls.feed(html)
    duplicated = [name for name, count in Counter(controls.ids).items() if count > 1]
    assert duplicated == []
    assert controls.unlabelled() == []
    lunar = trick("Lunar")
    assert f'<label for="rename-{lunar.id}">New name for Lunar</label>' in html
    assert f'<label for="merge-{lunar.id}">Merge Lunar into</label>' in html
    assert "Retire Lunar</button>" in html
    # The merge choices are the other offered tricks.
    start = html.index(f'id="merge-{lunar.id}"')
    merge_select = html[start : html.index("</select>", start)]
    assert ">Lunar<" not in merge_select and '<optgroup label="Cups">' in merge_select
    assert f'<option value="{trick("Big Cup").id}">Big Cup</option>' in merge_select


def test_search_finds_tricks_by_any_of_their_names(admin):
    html = admin.get("/admin/tricks", query_string={"q": "ozara"}).get_data(as_text=True)
    assert "Offered tricks matching “ozara”" in html
    assert row("Big Cup") in html and row("Small Cup") in html  # Ozara, and Kozara
    assert row("Earth Turn") not in html
    assert 'value="ozara"' in html
    nothing = admin.get("/admin/tricks", query_string={"q": "no such trick"}).get_data(as_text=True)
    assert "No offered trick goes by a name like “no such trick”." in nothing


def test_an_added_trick_is_listed_and_found_by_its_other_names(admin):
    response = post(admin, "/admin/tricks", name="Moon Circle", level="6", family="balance", aliases="Moonwalk, Luna ")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/tricks"
    page = admin.get("/admin/tricks").get_data(as_text=True)
    assert "Moon Circle is in the catalog (Balance, level 6)." in page
    added = trick("Moon Circle")
    assert (added.level, added.family, added.aliases) == (6, "balance", ["Moonwalk", "Luna"])
    found = admin.get("/admin/tricks", query_string={"q": "moonw"}).get_data(as_text=True)
    assert row("Moon Circle") in found and "Moonwalk, Luna" in found


def test_a_taken_name_is_refused_at_the_field_and_nothing_is_added(admin):
    before = trick_count()
    response = post(admin, "/admin/tricks", name="big cup", level="1", family="cups")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary"' in html and "There is already a trick called Big Cup." in html
    assert 'aria-describedby="name-error" aria-invalid="true"' in html and 'value="big cup"' in html
    assert trick_count() == before


def test_a_bad_level_or_family_is_refused_with_the_services_words(admin):
    before = trick_count()
    response = post(admin, "/admin/tricks", name="Moon Circle", level="11", family="yoyo")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="level-error">Choose a level from 1 to 10.' in html
    assert 'id="family-error">Choose one of the families.' in html
    empty = post(admin, "/admin/tricks", level="abc")
    assert empty.status_code == 422
    assert "Give the trick a name of at most 80 characters." in empty.get_data(as_text=True)
    assert trick_count() == before


def test_a_renamed_trick_keeps_its_old_name_as_another_name(admin):
    ken_flip = trick("Ken Flip")
    response = post(admin, f"/admin/tricks/{ken_flip.id}/rename", name="Kenflip Classic")
    assert response.status_code == 303
    assert "now called Kenflip Classic" in admin.get("/admin/tricks").get_data(as_text=True)
    found = admin.get("/admin/tricks", query_string={"q": "ken flip"}).get_data(as_text=True)
    start = found.index(row("Kenflip Classic"))
    assert "Ken Flip" in found[start : found.index("</tr>", start)]


def test_a_refused_rename_opens_its_row_and_shows_the_error_there(admin):
    lunar = trick("Lunar")
    response = post(admin, f"/admin/tricks/{lunar.id}/rename", name="Big Cup")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<a href="#rename-{lunar.id}">New name for Lunar: Taken.</a>' in html
    assert f'id="rename-{lunar.id}-error"' in html and 'value="Big Cup"' in html
    start = html.index(row("Lunar"))
    assert "<details open>" in html[start : html.index("</tr>", start)]
    assert html.count("<details open>") == 1
    assert trick("Lunar") is not None


def test_a_merged_duplicate_leaves_the_list_and_says_where_it_went(admin):
    duplicate = catalog.add_trick(AdminFactory(), "Moon", 5, "balance", ["Luna"])
    lunar = trick("Lunar")
    response = post(admin, f"/admin/tricks/{duplicate.id}/merge", into=str(lunar.id))
    assert response.status_code == 303
    html = admin.get("/admin/tricks").get_data(as_text=True)
    assert "Merged into Lunar" in html
    assert row("Moon") not in html
    assert "Moon (also Luna): merged into Lunar" in section(html, "merged-title")
    assert db.session.get(Trick, duplicate.id).merged_into_id == lunar.id
    assert duplicate.id not in {t.id for t in catalog.active_tricks()}


def test_a_merge_needs_another_offered_trick(admin):
    lunar, ufo = trick("Lunar"), trick("UFO")
    catalog.retire_trick(AdminFactory(), ufo.id)
    for into, message in (
        ("", "Choose the trick to merge it into."),
        (str(lunar.id), "Choose a trick from the list."),  # itself
        (str(ufo.id), "Choose a trick from the list."),  # retired
        ("abc", "Choose the trick to merge it into."),
    ):
        response = post(admin, f"/admin/tricks/{lunar.id}/merge", into=into)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, into
        assert f'id="merge-{lunar.id}-error">{message}' in html, into
    assert trick("Lunar").merged_into_id is None and trick("Lunar").retired_at is None


def test_a_retired_trick_is_offered_no_more_and_listed_as_retired(admin):
    ufo = trick("UFO")
    response = post(admin, f"/admin/tricks/{ufo.id}/retire")
    assert response.status_code == 303
    assert ufo.id not in {t.id for t in catalog.active_tricks()}
    html = admin.get("/admin/tricks").get_data(as_text=True)
    assert "UFO is retired" in html and row("UFO") not in html
    assert "UFO" in section(html, "retired-title")


@pytest.mark.parametrize(
    ("action", "fields"), [("rename", {"name": "Anything"}), ("merge", {"into": "1"}), ("retire", {})]
)
def test_a_trick_that_does_not_exist_is_404(admin, action, fields):
    before = trick_count()
    response = post(admin, f"/admin/tricks/999999/{action}", **fields)
    assert response.status_code == 404
    assert trick_count() == before


def test_a_refused_form_for_a_trick_that_does_not_exist_is_404_too(admin):
    assert post(admin, "/admin/tricks/999999/rename", name="").status_code == 404
    assert post(admin, "/admin/tricks/999999/merge", into="").status_code == 404


class ControlsAndLabels(HTMLParser):
    """Every id on the page, and which visible controls have a <label for> naming them."""

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.controls: list[str] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "label" and attributes.get("for"):
            self.labelled.add(attributes["for"])
        if tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit"):
            self.controls.append(attributes.get("id") or f"<{tag} name={attributes.get('name')}> without an id")

    def unlabelled(self) -> list[str]:
        return [control for control in self.controls if control not in self.labelled]


def test_headings_go_in_order(admin):
    html = admin.get("/admin/tricks").get_data(as_text=True)
    levels = [int(level) for level in re.findall(r"<h([1-6])", html)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_a_rename_reaches_the_cached_listing_and_profiles_at_once(client, login, cache):
    teacher = PlayerFactory(display_name="Teacher Tomo")
    lunar = trick("Lunar")
    catalog.set_player_tricks(teacher, [lunar.id])
    login(AdminFactory())
    # Both pages are cached; reading them before the change proves the change reaches them.
    assert "<li>Lunar</li>" in client.get(f"/players/{teacher.id}").get_data(as_text=True)
    assert ">Lunar</option>" in client.get("/players").get_data(as_text=True)

    assert post(client, f"/admin/tricks/{lunar.id}/rename", name="Moon Landing").status_code == 303

    profile = client.get(f"/players/{teacher.id}").get_data(as_text=True)
    assert "<li>Moon Landing</li>" in profile and "<li>Lunar</li>" not in profile
    listing = client.get("/players").get_data(as_text=True)
    assert ">Moon Landing</option>" in listing and ">Lunar</option>" not in listing
