"""Practice clips end to end: uploaded through the API and the page, checked by decoding, kept in
storage (the local folder here; the S3 backend has its own tests), private to the session, and
reached only through signed links whose every use is logged."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kendama import jobs
from kendama.extensions import db
from kendama.integrations.storage import current_storage
from kendama.models import ClipAccess, PracticeClip, utcnow
from kendama.services.coaching import clips

from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory
from ..support.videos import make_video
from .test_html_booking import form_token

pytestmark = pytest.mark.both_databases


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clip-uploads")
    good = make_video(folder / "lunar.mp4", codec="libx264", seconds=2)
    long = make_video(folder / "long.mp4", codec="libx264", seconds=61, fps=1)
    corrupt = folder / "corrupt.mp4"
    data = good.read_bytes()
    corrupt.write_bytes(data[: len(data) // 2])
    return {"good": good, "long": long, "corrupt": corrupt}


def upload(client, headers, session_id, path: Path):
    with path.open("rb") as file:
        return client.post(f"/api/sessions/{session_id}/clips", headers=headers, data={"file": (file, path.name)})


def stored_files(client) -> set[Path]:
    return set(Path(client.application.config["STORAGE_DIR"]).rglob("*"))


def stored_count() -> int:
    return db.session.scalar(select(func.count()).select_from(PracticeClip))


def test_the_fan_uploads_a_clip_and_both_participants_reach_it_through_a_logged_signed_link(client, api_token, videos):
    session = LiveSessionFactory()
    response = upload(client, api_token(session.fan), session.id, videos["good"])
    assert response.status_code == 201, response.json
    assert response.json["status"] == "ready" and response.json["duration_seconds"] == pytest.approx(2, abs=0.2)
    clip = db.session.get(PracticeClip, response.json["id"])
    assert current_storage().exists(clip.storage_key)

    listed = client.get(f"/api/sessions/{session.id}/clips", headers=api_token(session.player)).json["items"]
    assert [item["id"] for item in listed] == [clip.id]
    media = client.get(listed[0]["url"].removeprefix("http://localhost"))
    assert media.status_code == 200 and media.mimetype == "video/mp4"
    assert media.get_data() == videos["good"].read_bytes()
    assert db.session.scalars(select(ClipAccess.user_id)).all() == [session.player_id]
    # A tampered link shows nothing and logs nothing.
    assert client.get(f"/clips/{clip.id}/media?sig=forged").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ClipAccess)) == 1


@pytest.mark.parametrize(("name", "words"), [("long", "61 seconds"), ("corrupt", "not a video we can read")])
def test_a_clip_that_is_too_long_or_corrupt_is_a_422_and_stores_nothing(client, api_token, videos, name, words):
    session = LiveSessionFactory()
    before = stored_files(client)
    response = upload(client, api_token(session.fan), session.id, videos[name])
    assert response.status_code == 422, response.json
    assert words in response.json["error"]["fields"]["file"]
    assert stored_count() == 0
    assert stored_files(client) == before


def test_a_clip_over_the_size_limit_is_refused(client, api_token, videos, monkeypatch):
    monkeypatch.setitem(client.application.config, "CLIP_MAX_BYTES", 1000)
    session = LiveSessionFactory()
    response = upload(client, api_token(session.fan), session.id, videos["good"])
    assert response.status_code == 422 and "over" in response.json["error"]["fields"]["file"]
    assert stored_count() == 0


def test_only_the_fan_uploads_only_before_the_start_and_at_most_two(client, api_token, videos):
    session = LiveSessionFactory()
    assert upload(client, api_token(session.player), session.id, videos["good"]).status_code == 403
    assert upload(client, api_token(FanFactory()), session.id, videos["good"]).status_code == 404
    assert upload(client, api_token(AdminFactory()), session.id, videos["good"]).status_code == 403
    fan = api_token(session.fan)
    assert upload(client, fan, session.id, videos["good"]).status_code == 201
    assert upload(client, fan, session.id, videos["good"]).status_code == 201
    third = upload(client, fan, session.id, videos["good"])
    assert third.status_code == 409 and third.json["error"]["code"] == "too_many_clips"
    started_at = utcnow() - timedelta(minutes=5)
    started = LiveSessionFactory(
        fan=session.fan,
        starts_at=started_at,
        ends_at=started_at + timedelta(minutes=30),
        blocked_until=started_at + timedelta(minutes=30),
    )
    late = upload(client, fan, started.id, videos["good"])
    assert late.status_code == 409 and late.json["error"]["code"] == "session_started"
    assert stored_count() == 2


def test_strangers_cannot_list_clips_and_a_link_stops_working_for_someone_no_longer_allowed(client, api_token, videos):
    session = LiveSessionFactory()
    assert upload(client, api_token(session.fan), session.id, videos["good"]).status_code == 201
    assert client.get(f"/api/sessions/{session.id}/clips", headers=api_token(FanFactory())).status_code == 404
    admin = AdminFactory()
    link = client.get(f"/api/sessions/{session.id}/clips", headers=api_token(admin)).json["items"][0]["url"]
    admin.role = "fan"  # no longer an administrator
    db.session.commit()
    assert client.get(link.removeprefix("http://localhost")).status_code == 404


def test_the_fan_uploads_through_the_session_page_and_cancelling_the_session_deletes_the_clips(client, login, videos):
    session = LiveSessionFactory()
    login(session.fan)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and '<progress id="clip-progress"' in page
    with videos["good"].open("rb") as file:
        response = client.post(
            f"/sessions/{session.id}/clips", data={"csrf_token": form_token(page), "file": (file, "lunar.mp4")}
        )
    assert response.status_code == 303
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    assert "Clip 1, 2 seconds (lunar.mp4)." in page
    key = db.session.scalar(select(PracticeClip.storage_key))
    assert current_storage().exists(key)

    # A cancelled lesson's clips have no purpose left: the job after the commit deletes them.
    cancel_page = client.get(f"/dashboard/sessions/{session.id}/cancel").get_data(as_text=True)
    response = client.post(f"/dashboard/sessions/{session.id}/cancel", data={"csrf_token": form_token(cancel_page)})
    assert response.status_code == 303
    assert not current_storage().exists(key) and stored_count() == 0


def test_the_sweep_deletes_clips_a_lost_job_left_on_a_cancelled_session(videos):
    kept, cancelled = LiveSessionFactory(), LiveSessionFactory()
    for session in (kept, cancelled):
        with videos["good"].open("rb") as file:
            clips.upload_clip(session.fan, session.id, file, "lunar.mp4")
    cancelled.status = "cancelled"  # as if its deletion job had been lost with Redis
    db.session.commit()
    assert clips.sessions_with_orphaned_clips() == [cancelled.id]

    jobs.sweep_orphaned_clips()

    assert clips.sessions_with_orphaned_clips() == []
    remaining = list(db.session.scalars(select(PracticeClip)))
    assert [clip.session_id for clip in remaining] == [kept.id]
    assert all(current_storage().exists(clip.storage_key) for clip in remaining)


def test_the_progress_bar_upload_is_sent_back_to_an_address_that_loads_the_page_again(client, login, videos):
    """clip-upload.js goes to `next` after the upload: a fragment-only change would not reload the
    page, and the new clip would not show (found walking the page in a browser)."""
    session = LiveSessionFactory()
    login(session.fan)
    page = client.get(f"/sessions/{session.id}/join").get_data(as_text=True)
    with videos["good"].open("rb") as file:
        response = client.post(
            f"/sessions/{session.id}/clips",
            data={"csrf_token": form_token(page), "file": (file, "lunar.mp4")},
            headers={"X-Requested-With": "clip-upload"},
        )
    assert response.status_code == 201
    assert response.json["next"] == f"/sessions/{session.id}/join"
