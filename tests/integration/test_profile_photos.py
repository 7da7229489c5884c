"""A player's photo is part of the profile save: a refused photo keeps the whole save from
happening, a replaced or removed photo's file is deleted once the change is committed, and photo
uploads are rate limited (RATELIMIT_AVATAR)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kendama.extensions import db
from kendama.models import Profile

from ..conftest import csrf_token_from
from ..support.factories import PlayerFactory

pytestmark = pytest.mark.both_databases

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OTHER_PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64


@pytest.fixture
def photos(app, tmp_path, monkeypatch) -> Path:
    """This test's own instance folder, so the files in avatars/ are only the test's."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "avatars"


def save(client, photo: bytes | None = None, **fields):
    data = {"csrf_token": csrf_token_from(client), "display_name": "Kai", "currency": "usd", "offer_30": "y"}
    data.update({"price_30": "0", "bio": "Teaches kendama.", **fields})
    if photo is not None:
        data["avatar"] = (io.BytesIO(photo), "me.png")
    return client.post("/dashboard/profile", data=data, content_type="multipart/form-data")


def stored(photos: Path) -> list[str]:
    return sorted(path.name for path in photos.glob("*")) if photos.exists() else []


def test_a_refused_photo_saves_nothing_of_the_form(client, login, photos):
    player = PlayerFactory()
    login(player)
    response = save(client, b"<script>alert(1)</script>", bio="A new bio", display_name="New Name")
    assert response.status_code == 422
    assert "Choose a PNG, JPEG or WebP photo." in response.get_data(as_text=True)
    db.session.expire_all()
    profile = db.session.get(Profile, player.id)
    assert profile.bio == "Teaches kendama." and profile.user.display_name == player.display_name
    assert profile.avatar_key is None and stored(photos) == []


def test_a_refused_field_keeps_the_photo_from_being_saved(client, login, photos):
    player = PlayerFactory()
    login(player)
    assert save(client, PNG, price_30="lots").status_code == 422
    db.session.expire_all()
    assert db.session.get(Profile, player.id).avatar_key is None and stored(photos) == []


def test_a_good_save_keeps_the_photo_and_the_fields(client, login, photos):
    player = PlayerFactory()
    login(player)
    assert save(client, PNG, bio="A new bio").status_code == 303
    db.session.expire_all()
    profile = db.session.get(Profile, player.id)
    assert profile.bio == "A new bio" and stored(photos) == [profile.avatar_key]


def test_replacing_a_photo_deletes_the_old_file_and_removing_it_deletes_the_last(client, login, photos):
    player = PlayerFactory()
    login(player)
    assert save(client, PNG).status_code == 303
    first = stored(photos)
    assert save(client, OTHER_PNG).status_code == 303
    db.session.expire_all()
    second = db.session.get(Profile, player.id).avatar_key
    assert stored(photos) == [second] and first != [second]
    assert save(client, remove_avatar="y").status_code == 303
    db.session.expire_all()
    assert db.session.get(Profile, player.id).avatar_key is None and stored(photos) == []


def test_a_file_two_players_share_stays_while_one_still_shows_it(client, login, photos):
    first, second = PlayerFactory(), PlayerFactory()
    for player in (first, second):
        login(player)
        assert save(client, PNG).status_code == 303
    shared = stored(photos)
    assert len(shared) == 1  # the same bytes, the same content-named file
    assert save(client, remove_avatar="y").status_code == 303  # the second player removes theirs
    assert stored(photos) == shared
    assert client.get(f"/players/{first.id}/avatar").status_code == 200


def test_a_refused_save_keeps_the_photo_shown(client, login, photos):
    player = PlayerFactory()
    login(player)
    assert save(client, PNG).status_code == 303
    shown = stored(photos)
    assert save(client, OTHER_PNG, price_30="lots").status_code == 422
    assert save(client, remove_avatar="y", price_30="lots").status_code == 422
    assert stored(photos) == shown


def test_photo_uploads_are_rate_limited_per_player_and_other_saves_are_not(app, client, login, photos, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_AVATAR", "2 per hour")
    login(PlayerFactory())
    assert [save(client, photo).status_code for photo in (PNG, OTHER_PNG)] == [303, 303]
    assert save(client, PNG).status_code == 429
    assert save(client, bio="Still editable without a photo").status_code == 303
    login(PlayerFactory())
    assert save(client, PNG).status_code == 303
