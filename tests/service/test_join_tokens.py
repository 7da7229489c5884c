"""Joining again reuses the meeting token already issued: never someone else's, never a stale one."""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import event

from kendama.extensions import db
from kendama.models import LiveSession, User
from kendama.services.errors import NotAllowed, NotFound
from kendama.services.video import calls, join_tokens, recording_consent

from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory
from ..support.smtp_server import free_port
from ..support.video_support import room_name, session_at

SHARED_REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(autouse=True)
def local_token_store(use_sandbox, app, monkeypatch):
    monkeypatch.setitem(app.extensions, join_tokens.EXTENSION, join_tokens.LocalStore())


@pytest.fixture
def issued(monkeypatch):
    """The user ids the provider was asked to issue a meeting token for, in order."""
    adapter = calls.provider()
    asked: list[str] = []
    issue = adapter.join_token

    def counting(room_name, **properties):
        asked.append(properties["user_id"])
        return issue(room_name, **properties)

    monkeypatch.setattr(adapter, "join_token", counting)
    return asked


@pytest.fixture
def statements(app):
    """The SQL statements run while the test goes on."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def reschedule_in_place(session_id: int) -> None:
    """What booking.reschedule does to the video fields (the times stay, for the test's clock)."""
    session = db.session.get(LiveSession, session_id)
    session.room_name = session.room_url = None
    session.ics_sequence += 1
    session.status = "confirmed"
    db.session.commit()


# --- Reuse ---------------------------------------------------------------------------------------


def test_joining_again_reuses_the_token_without_asking_the_provider(issued):
    session = LiveSessionFactory()
    first = calls.join(session.fan, session.id, now=session.starts_at)
    again = calls.join(session.fan, session.id, now=session.starts_at + timedelta(minutes=5))
    assert again == first
    assert issued == [str(session.fan_id)]


@pytest.mark.parametrize("role", ["fan", "player"])
def test_joining_again_writes_nothing_when_the_session_already_shows_the_join(issued, statements, role):
    session = LiveSessionFactory()
    person = getattr(session, role)
    calls.join(person, session.id, now=session.starts_at)
    statements.clear()
    calls.join(person, session.id, now=session.starts_at + timedelta(minutes=1))
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE") or "FOR UPDATE" in s.upper()]
    assert db.session.get(LiveSession, session.id).status == "in_progress"


def test_joining_again_reads_one_row_of_the_session_and_nothing_else(issued, statements):
    session = LiveSessionFactory()
    session_id, player, start = session.id, session.player, session.starts_at
    calls.join(player, session_id, now=start)
    assert player.display_name  # each request loads its user afresh; the first join's commit expired this one
    statements.clear()
    calls.join(player, session_id, now=start + timedelta(minutes=1))
    assert len([s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]) == 1


def test_the_other_participants_first_join_is_still_recorded_and_gets_their_own_token(sandbox, issued):
    session = LiveSessionFactory()
    fan_grant = calls.join(session.fan, session.id, now=session.starts_at)
    player_grant = calls.join(session.player, session.id, now=session.starts_at)
    assert fan_grant.token != player_grant.token
    assert issued == [str(session.fan_id), str(session.player_id)]
    player = sandbox.token_properties(player_grant.token)
    assert (player["user_id"], player["is_owner"]) == (str(session.player_id), True)
    session = db.session.get(LiveSession, session.id)
    assert session.fan_joined_at is not None and session.player_joined_at is not None


def test_after_everyone_left_the_call_is_rejoined_with_the_kept_token(sandbox, issued):
    session = session_at(timedelta(minutes=-1))  # started a minute ago: the sandbox admits on its own clock
    first = calls.join(session.fan, session.id)
    person = sandbox.call(first.room_url, "join", {"token": first.token}).json()
    sandbox.call(first.room_url, "leave", {"token": first.token, "participant_id": person["participant_id"]})

    again = calls.join(session.fan, session.id)
    assert again.token == first.token and issued == [str(session.fan_id)]
    assert "participant_id" in sandbox.call(again.room_url, "join", {"token": again.token}).json()
    assert db.session.get(LiveSession, session.id).status == "in_progress"


def test_a_kept_token_whose_join_is_not_on_record_still_records_it(issued):
    """Another process kept the token, or the join was lost: the session still shows who joined, and when."""
    session = LiveSessionFactory()
    session_id, fan, start = session.id, session.fan, session.starts_at
    first = calls.join(fan, session_id, now=start)
    stored = db.session.get(LiveSession, session_id)
    stored.fan_joined_at = stored.started_at = None
    stored.status = "confirmed"
    db.session.commit()
    again = calls.join(fan, session_id, now=start + timedelta(minutes=2))
    assert again.token == first.token and issued == [str(fan.id)]
    stored = db.session.get(LiveSession, session_id)
    assert (stored.status, stored.fan_joined_at, stored.started_at, stored.player_joined_at) == (
        "in_progress",
        start + timedelta(minutes=2),
        start + timedelta(minutes=2),
        None,
    )


def test_a_grant_names_the_room_and_expires_with_the_session(issued):
    session = LiveSessionFactory()
    grant = calls.join(session.fan, session.id, now=session.starts_at)
    assert grant.expires_at == session.ends_at and grant.recording is False
    assert grant.room_url.endswith("/call/" + room_name(session.id, 0))


def test_a_session_whose_stored_room_is_not_its_current_one_gets_its_room(sandbox, issued):
    session = LiveSessionFactory(room_name="kendama-stale-room", room_url="https://video.example/call/stale")
    grant = calls.join(session.fan, session.id, now=session.starts_at)
    assert grant.room_url.endswith("/call/" + room_name(session.id, 0))
    assert sandbox.token_properties(grant.token)["room_name"] == room_name(session.id, 0)


# --- A changed session or person gets a new token ----------------------------------------------


def test_consent_given_before_the_start_gets_a_token_that_records(sandbox, issued):
    session = LiveSessionFactory()
    early = session.starts_at - timedelta(minutes=5)
    before = calls.join(session.fan, session.id, now=early)
    for user in (session.fan, session.player):
        recording_consent.set_consent(user, session.id, recording=True, now=early + timedelta(minutes=1))

    after = calls.join(session.fan, session.id, now=early + timedelta(minutes=2))
    assert after.token != before.token and after.recording is True
    assert sandbox.token_properties(after.token)["start_cloud_recording"] is True
    assert len(issued) == 2


def test_a_reschedule_gets_a_token_for_the_new_room(sandbox, issued):
    session = LiveSessionFactory()
    before = calls.join(session.fan, session.id, now=session.starts_at)
    reschedule_in_place(session.id)
    after = calls.join(session.fan, session.id, now=session.starts_at)
    assert after.token != before.token and len(issued) == 2
    assert sandbox.token_properties(after.token)["room_name"] == room_name(session.id, 1)


def test_a_new_display_name_gets_a_token_with_it(sandbox, issued):
    session = LiveSessionFactory()
    calls.join(session.fan, session.id, now=session.starts_at)
    fan = db.session.get(User, session.fan_id)
    fan.display_name = "Renamed Fan"
    db.session.commit()
    after = calls.join(fan, session.id, now=session.starts_at)
    assert sandbox.token_properties(after.token)["user_name"] == "Renamed Fan"
    assert len(issued) == 2


# --- Nobody else gets a kept token ---------------------------------------------------------------


def test_outsiders_are_refused_even_when_tokens_are_kept():
    session = LiveSessionFactory()
    calls.join(session.fan, session.id, now=session.starts_at)
    calls.join(session.player, session.id, now=session.starts_at)
    other = LiveSessionFactory()
    for outsider in (FanFactory(), PlayerFactory(), other.fan, other.player):
        with pytest.raises(NotFound):
            calls.join(outsider, session.id, now=session.starts_at)
    with pytest.raises(NotAllowed):
        calls.join(AdminFactory(), session.id, now=session.starts_at)


def test_over_the_api_each_participant_gets_only_their_own_token(client, api_token, sandbox):
    session = session_at(timedelta(minutes=-2))  # live now: the API joins at the real time
    fan_headers, player_headers = api_token(session.fan), api_token(session.player)
    fan_token = client.post(f"/api/sessions/{session.id}/join", headers=fan_headers).json["token"]
    player_token = client.post(f"/api/sessions/{session.id}/join", headers=player_headers).json["token"]
    assert fan_token != player_token
    assert sandbox.token_properties(player_token)["user_id"] == str(session.player_id)
    assert client.post(f"/api/sessions/{session.id}/join", headers=fan_headers).json["token"] == fan_token

    stranger = client.post(f"/api/sessions/{session.id}/join", headers=api_token(FanFactory()))
    assert stranger.status_code == 404 and fan_token not in stranger.get_data(as_text=True)


# --- How long a token is kept, and where ----------------------------------------------------------


def test_a_token_is_not_kept_in_the_last_minute_before_it_expires(issued):
    session = LiveSessionFactory()
    late = session.ends_at - timedelta(seconds=30)
    calls.join(session.fan, session.id, now=late)
    calls.join(session.fan, session.id, now=late)
    assert len(issued) == 2


@pytest.fixture
def redis_store(app, monkeypatch):
    store = join_tokens.RedisStore(Redis.from_url(SHARED_REDIS), prefix=f"kendama-test:{uuid.uuid4().hex}")
    monkeypatch.setitem(app.extensions, join_tokens.EXTENSION, store)
    yield store
    store.redis.delete(*store.redis.keys(f"{store.prefix}:*") or ["-"])


def test_with_redis_a_kept_token_names_nobody_and_expires_before_the_token(redis_store, issued):
    session = LiveSessionFactory()
    first = calls.join(session.fan, session.id, now=session.starts_at)
    assert calls.join(session.fan, session.id, now=session.starts_at).token == first.token
    assert len(issued) == 1

    (key,) = redis_store.redis.keys(f"{redis_store.prefix}:*")
    name = key.decode().removeprefix(f"{redis_store.prefix}:")
    assert re.fullmatch(r"[0-9a-f]{64}", name)  # an HMAC under SECRET_KEY, not the user or the room
    ttl = redis_store.redis.ttl(key)
    assert 0 < ttl <= (session.ends_at - session.starts_at - join_tokens.MARGIN).total_seconds()


def test_with_redis_another_process_finds_the_token_and_then_uses_its_own_copy(app, monkeypatch, redis_store, issued):
    session = LiveSessionFactory()
    first = calls.join(session.fan, session.id, now=session.starts_at)
    other_process = join_tokens.RedisStore(redis_store.redis, prefix=redis_store.prefix)
    monkeypatch.setitem(app.extensions, join_tokens.EXTENSION, other_process)
    assert calls.join(session.fan, session.id, now=session.starts_at).token == first.token

    redis_store.redis.delete(*redis_store.redis.keys(f"{redis_store.prefix}:*"))
    assert calls.join(session.fan, session.id, now=session.starts_at).token == first.token
    assert issued == [str(session.fan_id)]


def test_a_copy_is_kept_no_longer_than_redis_keeps_the_token(redis_store, issued):
    session = LiveSessionFactory()
    late = session.ends_at - join_tokens.MARGIN - timedelta(seconds=2)  # two seconds left to keep it
    first = calls.join(session.fan, session.id, now=late)
    (key,) = redis_store.redis.keys(f"{redis_store.prefix}:*")
    copy_expires, copy = redis_store.copies._entries[key.decode().removeprefix(f"{redis_store.prefix}:")]
    assert copy == first.token
    assert 0 < copy_expires - time.monotonic() <= 2 and 0 < redis_store.redis.pttl(key) <= 2000


def test_redis_down_joining_still_works_and_no_token_is_logged(app, monkeypatch, issued, caplog):
    nobody_listens = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    monkeypatch.setitem(app.extensions, join_tokens.EXTENSION, join_tokens.RedisStore(nobody_listens))
    session = LiveSessionFactory()
    with caplog.at_level(logging.WARNING):
        grants = [calls.join(session.fan, session.id, now=session.starts_at) for _ in range(2)]
    assert all(grant.token for grant in grants) and len(issued) == 2
    assert "join token cache unreachable" in caplog.text
    assert not any(grant.token in caplog.text for grant in grants)
