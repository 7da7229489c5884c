"""Who sees a recording, through which link, for how long; share links from making to revoking.

Recordings are rows made here (the provider's webhooks and sync are tested in
tests/integration/test_video_recordings.py); the provider's media link is a recorder.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from kendama.extensions import db
from kendama.integrations import video as video_provider
from kendama.models import RecordingAccess, RecordingShareLink, SessionRecording, User
from kendama.services.accounts import signing
from kendama.services.errors import NotAllowed, NotFound, ProviderUnavailable, WrongState
from kendama.services.video import recording_pages, recordings

from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory
from ..support.row_locks import row_locks
from ..support.video_support import recording_part

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
EXPIRED = "This share link has expired or was revoked."


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(recordings, "utcnow", lambda: NOW)


class Media:
    """The provider's media links: handed out per recording, or refused."""

    def __init__(self):
        self.asked: list[str] = []
        self.down = False

    def recording_link(self, provider_id: str):
        self.asked.append(provider_id)
        if self.down:
            raise video_provider.VideoProviderError("timeout")
        return SimpleNamespace(url=f"https://media.example/{provider_id}")


@pytest.fixture
def media(monkeypatch):
    fake = Media()
    monkeypatch.setattr(recordings, "configured_provider", lambda: fake)
    return fake


def recorded_session(*, sharing: bool = True, **fields):
    """A completed session both recorded; both allowed sharing unless `sharing` is False."""
    return LiveSessionFactory(
        status="completed",
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW - timedelta(days=1) + timedelta(minutes=30),
        blocked_until=NOW - timedelta(days=1) + timedelta(minutes=30),
        fan_recording_consent=True,
        player_recording_consent=True,
        fan_sharing_consent=sharing,
        player_sharing_consent=sharing,
        **fields,
    )


def recording(
    session, status: str = "ready", *, minutes_after: int = 0, captions: str | None = "WEBVTT\n"
) -> SessionRecording:
    return recording_part(session, status, minutes_after=minutes_after, captions=captions)


def token(recording_id: int, action: str = "view", *, user: int | None = None, share: int | None = None) -> str:
    return signing.sign(recordings.FILE_PURPOSE, {"r": recording_id, "u": user, "s": share, "a": action})


def accesses(row: SessionRecording) -> list[tuple[int | None, str]]:
    query = select(RecordingAccess.user_id, RecordingAccess.action).where(RecordingAccess.recording_id == row.id)
    return [tuple(r) for r in db.session.execute(query.order_by(RecordingAccess.id))]


# --- Parts -----------------------------------------------------------------------------------------


def test_parts_are_numbered_in_the_order_they_were_made_and_deleted_ones_are_not_mentioned():
    session = recorded_session()
    second = recording(session, minutes_after=20)
    recording(session, "deleted", minutes_after=10)
    first = recording(session, minutes_after=5)
    parts = recordings.parts_of_sessions([session.id])[session.id]
    assert [(p.recording, p.number, p.count, p.label) for p in parts] == [
        (first, 1, 2, "Part 1 of 2"),
        (second, 2, 2, "Part 2 of 2"),
    ]
    alone = recorded_session()
    only = recording(alone)
    assert [p.label for p in recordings.parts_of_sessions([alone.id])[alone.id]] == ["Recording"]
    assert recordings.parts_of_sessions([session.id, alone.id]).keys() == {session.id, alone.id}
    assert recordings.parts_of_sessions([session.id]).keys() == {session.id}  # nobody else's are read
    assert only.session_id == alone.id


def test_parts_made_at_the_same_moment_keep_the_order_they_were_stored_in():
    session = recorded_session()
    one, two = recording(session), recording(session)
    assert [p.recording for p in recordings.parts_of_sessions([session.id])[session.id]] == [one, two]


def test_the_main_part_is_the_latest_ready_one_else_the_latest():
    session = recorded_session()
    ready = recording(session, minutes_after=1)
    recording(session, "in_progress", minutes_after=2)
    assert recordings.recording_of_session(session.fan, session.id) == ready
    other = recorded_session()
    recording(other, "failed", minutes_after=1)
    latest = recording(other, "in_progress", minutes_after=2)
    assert recordings.recording_of_session(other.player, other.id) == latest
    assert recordings.main_part([]) is None


def test_a_session_without_a_recording_says_so_and_strangers_learn_nothing():
    session = recorded_session()
    with pytest.raises(NotFound) as none:
        recordings.recording_of_session(session.fan, session.id)
    assert (none.value.code, none.value.message) == ("no_recording", "This session has no recording.")
    recording(session)
    with pytest.raises(NotFound) as stranger:
        recordings.recording_of_session(FanFactory(), session.id)
    assert stranger.value.message == "No such session."
    assert recordings.recording_of_session(AdminFactory(), session.id).session_id == session.id


# --- Signed links ------------------------------------------------------------------------------------


def test_a_grant_signs_each_purpose_for_its_viewer_and_expires_with_the_setting(app):
    session = recorded_session()
    row = recording(session)
    grant = recordings.grant_for(row, user_id=session.fan_id)
    seconds = app.config["SIGNED_URL_SECONDS"]
    assert grant.expires_at == NOW + timedelta(seconds=seconds)
    for action in ("view", "download", "captions"):
        signed = getattr(grant, action)
        assert signing.unsign(recordings.FILE_PURPOSE, signed, seconds) == {
            "r": row.id,
            "u": session.fan_id,
            "s": None,
            "a": action,
        }
    shared = recordings.grant_for(row, share_id=9)
    assert signing.unsign(recordings.FILE_PURPOSE, shared.view, seconds) == {
        "r": row.id,
        "u": None,
        "s": 9,
        "a": "view",
    }
    assert recordings.grant_for(recording(session, captions=None)).captions is None


@pytest.mark.parametrize("action", ["view", "download"])
def test_a_participant_opens_the_media_and_the_access_is_logged(media, action):
    session = recorded_session()
    row = recording(session)
    link = recordings.media_link(row.id, token(row.id, action, user=session.fan_id))
    assert link == f"https://media.example/{row.provider_recording_id}" and media.asked == [row.provider_recording_id]
    assert accesses(row) == [(session.fan_id, action)]


def test_captions_come_from_our_own_store_and_are_logged(media):
    session = recorded_session()
    row = recording(session, captions="WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n")
    assert recordings.captions(row.id, token(row.id, "captions", user=session.player_id)).endswith("Hi\n")
    assert accesses(row) == [(session.player_id, "captions")] and media.asked == []
    bare = recording(session, captions=None)
    with pytest.raises(NotFound) as none:
        recordings.captions(bare.id, token(bare.id, "captions", user=session.player_id))
    assert none.value.message == "This recording has no captions yet."


@pytest.mark.parametrize(
    ("make", "opener"),
    [
        (lambda row, s: token(row.id, "captions", user=s.fan_id), "media"),  # a captions link opens no media
        (lambda row, s: token(row.id, "view", user=s.fan_id), "captions"),
        (lambda row, s: token(row.id + 1, "view", user=s.fan_id), "media"),  # another recording's link
        (lambda row, s: token(row.id, "view"), "media"),  # made for nobody
        (lambda row, s: signing.sign(recordings.FILE_PURPOSE, [row.id, "view"]), "media"),
        (lambda row, s: signing.sign("cancel", {"r": row.id, "u": s.fan_id, "s": None, "a": "view"}), "media"),
    ],
)
def test_a_link_for_something_else_is_not_valid(media, make, opener):
    session = recorded_session()
    row = recording(session)
    open_ = recordings.media_link if opener == "media" else recordings.captions
    with pytest.raises(NotAllowed) as refused:
        open_(row.id, make(row, session))
    assert (refused.value.code, refused.value.message) == ("link_invalid", "This link is not valid.")
    assert accesses(row) == [] and media.asked == []


def test_a_recording_not_ready_or_gone_is_not_found(media):
    session = recorded_session()
    for status in ("in_progress", "failed", "deleted"):
        row = recording(session, status)
        with pytest.raises(NotFound) as missing:
            recordings.media_link(row.id, token(row.id, user=session.fan_id))
        assert missing.value.message == "No such recording."
    with pytest.raises(NotFound):
        recordings.media_link(10**9, token(10**9, user=session.fan_id))


def test_a_link_made_for_someone_who_no_longer_may_look_is_refused(media):
    session = recorded_session()
    row = recording(session)
    with pytest.raises(NotFound) as stranger:
        recordings.media_link(row.id, token(row.id, user=FanFactory().id))
    assert stranger.value.message == "No such session."
    with pytest.raises(NotFound) as gone:
        recordings.media_link(row.id, token(row.id, user=10**9))
    assert gone.value.message == "No such recording."
    assert db.session.get(User, 10**9) is None and media.asked == []


def test_the_provider_down_is_a_clear_503_logged_and_no_access_recorded(media, caplog):
    session = recorded_session()
    row = recording(session)
    media.down = True
    with pytest.raises(ProviderUnavailable) as down, caplog.at_level("WARNING", logger=recordings.log.name):
        recordings.media_link(row.id, token(row.id, user=session.fan_id))
    assert down.value.message == "The recording cannot be reached right now. Please try again."
    assert accesses(row) == []
    # Only this module's records: a live server of another test in this process logs requests too.
    assert [r.getMessage() for r in caplog.records if r.name == recordings.log.name] == [
        f"access link for recording {row.provider_recording_id} failed: timeout"
    ]


@pytest.mark.parametrize(("age", "refused"), [(299, False), (301, True)])
def test_a_file_link_lasts_the_configured_seconds(app, monkeypatch, media, age, refused):
    session = recorded_session()
    row = recording(session)
    made_at = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: made_at(self) - age)
    old = token(row.id, user=session.fan_id)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", made_at)
    assert app.config["SIGNED_URL_SECONDS"] == 300
    if not refused:
        assert recordings.media_link(row.id, old).startswith("https://media.example/")
        return
    with pytest.raises(NotAllowed) as expired:
        recordings.media_link(row.id, old)
    assert (expired.value.code, expired.value.message) == ("link_expired", "This link has expired.")


# --- Pages -------------------------------------------------------------------------------------------


def test_only_ready_parts_carry_links_signed_for_the_viewer():
    session = recorded_session()
    ready = recording(session, minutes_after=1)
    recording(session, "in_progress", minutes_after=2)
    shown_session, parts = recordings.parts_for_viewer(session.fan, session.id)
    assert shown_session.id == session.id
    assert [(shown.part.recording.status, shown.grant is not None) for shown in parts] == [
        ("ready", True),
        ("in_progress", False),
    ]
    assert signing.unsign(recordings.FILE_PURPOSE, parts[0].grant.view, 300) == {
        "r": ready.id,
        "u": session.fan_id,
        "s": None,
        "a": "view",
    }


def test_the_player_sees_their_live_share_link_and_the_fan_does_not(app):
    session = recorded_session()
    recording(session)
    link, _ = recordings.create_share_link(session.player, session.id, now=NOW)
    page = recording_pages.for_viewer(session.player, session.id)
    assert (page.is_player, page.ready, page.share_link, page.sharing_offer) == (True, True, link, "withdraw")
    assert page.session.id == session.id and [shown.part.label for shown in page.parts] == ["Recording"]
    fan_page = recording_pages.for_viewer(session.fan, session.id)
    assert (fan_page.is_player, fan_page.ready, fan_page.share_link) == (False, True, None)


def test_a_page_with_nothing_ready_offers_no_share_link_and_no_parts_no_offer():
    session = recorded_session()
    recording(session, "in_progress")
    page = recording_pages.for_viewer(session.player, session.id)
    assert (page.ready, page.share_link, page.sharing_offer) == (False, None, "withdraw")
    bare = recorded_session()
    page = recording_pages.for_viewer(bare.player, bare.id)
    assert (page.parts, page.ready, page.sharing_offer) == ([], False, None)


# --- Share links ---------------------------------------------------------------------------------------


def test_a_share_link_is_stored_as_a_digest_expires_with_the_setting_and_replaces_the_last(app):
    session = recorded_session()
    row = recording(session)
    first, first_raw = recordings.create_share_link(session.player, session.id, now=NOW - timedelta(hours=1))
    link, raw = recordings.create_share_link(session.player, session.id, now=NOW)
    assert link.token_hash == hashlib.sha256(raw.encode()).hexdigest() and raw not in (link.token_hash, first_raw)
    assert (link.recording_id, link.created_by_id, link.created_at) == (row.id, session.player_id, NOW)
    assert link.expires_at == NOW + timedelta(days=app.config["VIDEO_SHARE_LINK_DAYS"])
    assert db.session.get(RecordingShareLink, first.id).revoked_at == NOW
    assert recordings.active_share_link(session.player, session.id, now=NOW) == link


@pytest.mark.parametrize(
    ("who", "sharing", "status", "error", "code"),
    [
        ("fan", True, "ready", NotAllowed, "player_only"),
        ("player", False, "ready", WrongState, "sharing_not_allowed"),
        ("player", True, "in_progress", WrongState, "recording_not_ready"),
    ],
)
def test_only_the_player_shares_a_ready_recording_both_allowed_to_share(who, sharing, status, error, code):
    session = recorded_session(sharing=sharing)
    recording(session, status)
    with pytest.raises(error) as refused:
        recordings.create_share_link(getattr(session, who), session.id, now=NOW)
    assert refused.value.code == code
    messages = {
        "player_only": "Only the player can share the recording.",
        "sharing_not_allowed": "Both participants must allow sharing before the recording can be shared.",
        "recording_not_ready": "The recording is not ready yet.",
    }
    assert refused.value.message == messages[code]
    assert db.session.scalars(select(RecordingShareLink)).all() == []


def test_a_link_is_live_until_its_expiry_or_revocation():
    session = recorded_session()
    recording(session)
    link, _ = recordings.create_share_link(session.player, session.id, now=NOW)
    assert recordings.active_share_link(session.fan, session.id, now=link.expires_at - timedelta(seconds=1)) == link
    assert recordings.active_share_link(session.player, session.id, now=link.expires_at) is None
    assert recordings.revoke_share_links(session.player, session.id, now=NOW) == 1
    assert recordings.revoke_share_links(session.player, session.id, now=NOW) == 0  # nothing live is left
    assert recordings.active_share_link(session.player, session.id, now=NOW) is None


def test_only_the_player_revokes_and_strangers_learn_nothing():
    session = recorded_session()
    recording(session)
    recordings.create_share_link(session.player, session.id, now=NOW)
    with pytest.raises(NotAllowed) as fan:
        recordings.revoke_share_links(session.fan, session.id, now=NOW)
    assert (fan.value.code, fan.value.message) == ("player_only", "Only the player can revoke share links.")
    with pytest.raises(NotFound):
        recordings.revoke_share_links(FanFactory(), session.id, now=NOW)
    with pytest.raises(NotFound):
        recordings.active_share_link(FanFactory(), session.id, now=NOW)
    assert recordings.active_share_link(session.player, session.id, now=NOW) is not None


def test_a_share_link_opens_every_ready_part_of_the_session_for_anyone_holding_it(media):
    session = recorded_session()
    first = recording(session, minutes_after=1)
    recording(session, "in_progress", minutes_after=2)
    link, raw = recordings.create_share_link(session.player, session.id, now=NOW)
    later = recording(session, minutes_after=3)
    view = recordings.shared_view(raw)
    assert view.session.id == session.id
    assert [shown.part.recording for shown in view.parts] == [first, later]
    grant = signing.unsign(recordings.FILE_PURPOSE, view.parts[1].grant.view, 300)
    assert grant == {"r": later.id, "u": None, "s": link.id, "a": "view"}
    assert (
        recordings.media_link(later.id, view.parts[1].grant.view)
        == f"https://media.example/{later.provider_recording_id}"
    )
    assert accesses(later) == [(None, "share_view")]


@pytest.mark.parametrize("raw", ["", None, "not-a-link"])
def test_an_unknown_share_link_is_not_found(raw):
    with pytest.raises(NotFound) as missing:
        recordings.shared_view(raw)
    assert missing.value.message == EXPIRED


def test_a_share_link_stops_at_expiry_revocation_or_withdrawn_sharing(monkeypatch, media):
    session = recorded_session()
    row = recording(session)
    link, raw = recordings.create_share_link(session.player, session.id, now=NOW - timedelta(days=1))
    file_token = recordings.shared_view(raw).parts[0].grant.view
    monkeypatch.setattr(recordings, "utcnow", lambda: link.expires_at)
    for open_ in (lambda: recordings.shared_view(raw), lambda: recordings.media_link(row.id, file_token)):
        with pytest.raises(NotFound) as expired:
            open_()
        assert expired.value.message == EXPIRED
    monkeypatch.setattr(recordings, "utcnow", lambda: link.expires_at - timedelta(seconds=1))
    assert recordings.shared_view(raw).parts
    session.fan_sharing_consent = False
    db.session.commit()
    with pytest.raises(NotFound):
        recordings.shared_view(raw)
    session.fan_sharing_consent = True
    recordings.revoke_share_links(session.player, session.id, now=NOW)
    with pytest.raises(NotFound):
        recordings.media_link(row.id, file_token)


def test_a_share_link_with_nothing_ready_shows_nothing():
    session = recorded_session()
    row = recording(session)
    _, raw = recordings.create_share_link(session.player, session.id, now=NOW)
    row.status = "deleted"
    db.session.commit()
    with pytest.raises(NotFound) as nothing:
        recordings.shared_view(raw)
    assert nothing.value.message == EXPIRED


def test_a_share_link_opens_no_other_sessions_recording(media):
    session, other = recorded_session(), recorded_session()
    recording(session)
    theirs = recording(other)
    link, _ = recordings.create_share_link(session.player, session.id, now=NOW)
    with pytest.raises(NotFound) as refused:
        recordings.media_link(theirs.id, token(theirs.id, share=link.id))
    assert refused.value.message == EXPIRED
    with pytest.raises(NotFound):
        recordings.media_link(theirs.id, token(theirs.id, share=10**9))
    assert media.asked == []


def test_of_two_live_links_the_newest_is_shown_and_other_sessions_links_never():
    session, other = recorded_session(), recorded_session()
    row, theirs = recording(session), recording(other)
    recordings.create_share_link(other.player, other.id, now=NOW)
    assert recordings.active_share_link(session.player, session.id, now=NOW) is None
    older = RecordingShareLink(
        recording_id=row.id,
        token_hash="a" * 64,
        created_by_id=session.player_id,
        created_at=NOW - timedelta(hours=2),
        expires_at=NOW + timedelta(days=1),
    )
    newer = RecordingShareLink(
        recording_id=row.id,
        token_hash="b" * 64,
        created_by_id=session.player_id,
        created_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(days=1),
    )
    db.session.add_all([older, newer])
    db.session.commit()
    assert recordings.active_share_link(session.player, session.id, now=NOW) == newer
    assert theirs.session_id == other.id


def test_revoking_records_the_moment_it_is_given():
    session = recorded_session()
    recording(session)
    link, raw = recordings.create_share_link(session.player, session.id, now=NOW - timedelta(hours=3))
    assert link.created_at == NOW - timedelta(hours=3) and len(raw) == 43  # 32 random bytes
    other = recorded_session()
    recording(other)
    theirs, _ = recordings.create_share_link(other.player, other.id, now=NOW - timedelta(hours=3))
    recordings.revoke_share_links(session.player, session.id, now=NOW - timedelta(hours=1))
    assert db.session.get(RecordingShareLink, link.id).revoked_at == NOW - timedelta(hours=1)
    assert db.session.get(RecordingShareLink, theirs.id).revoked_at is None  # only this session's links


def test_making_a_share_link_locks_the_session_first(app):
    """Two clicks at once make one live link: the second waits for the first and then revokes it."""
    session = recorded_session()
    recording(session)
    with row_locks("sessions") as locks:
        recordings.create_share_link(session.player, session.id, now=NOW)
    assert len(locks) == 1
