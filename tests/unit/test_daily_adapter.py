"""The Daily adapter on its own: back-off and retry, errors, and Daily's webhook signature."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from kendama.integrations.video import (
    InvalidWebhook,
    ProviderNotFound,
    ProviderRecording,
    ProviderRejected,
    ProviderUnreachable,
    RoomSpec,
)
from kendama.integrations.video.daily import DailyVideo, sign_webhook

SECRET = base64.b64encode(b"a webhook secret of some length").decode()


@contextmanager
def scripted(answers: list[tuple[int, dict, dict]]) -> Iterator[tuple[str, list[Request]]]:
    """A server that gives these (status, json, headers) answers in turn; yields its URL and the requests."""
    seen: list[Request] = []

    @Request.application
    def app(request: Request) -> Response:
        request.get_data()
        seen.append(request)
        status, body, headers = answers[min(len(seen), len(answers)) - 1]
        return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()


def adapter(url: str) -> DailyVideo:
    return DailyVideo(url, "key-123", SECRET, timeout_seconds=2, backoff_seconds=0.001)


def test_rate_limited_calls_are_retried_with_the_bearer_key():
    answers = [(429, {"error": "rate-limit-error"}, {"Retry-After": "0"})] * 2 + [(200, {"token": "t"}, {})]
    with scripted(answers) as (url, seen):
        token = adapter(url).join_token(
            "room-1",
            user_id="7",
            user_name="Fan",
            is_owner=False,
            not_before=datetime.now(UTC),
            expires=datetime.now(UTC) + timedelta(minutes=30),
            record=False,
        )
    assert token == "t" and len(seen) == 3
    assert all(r.headers["Authorization"] == "Bearer key-123" for r in seen)
    assert seen[-1].path == "/meeting-tokens"


def test_a_provider_that_keeps_failing_is_unreachable():
    with scripted([(503, {"error": "server-error"}, {})]) as (url, seen):
        with pytest.raises(ProviderUnreachable):
            adapter(url).list_recordings("room-1")
    assert len(seen) == 4  # the first try and three retries


def test_refusals_are_not_retried():
    with scripted([(400, {"error": "invalid-request-error", "info": "bad nbf"}, {})]) as (url, seen):
        with pytest.raises(ProviderRejected) as refused:
            adapter(url).start_recording("room-1")
    assert len(seen) == 1 and "bad nbf" in str(refused.value)
    with scripted([(404, {"error": "not-found"}, {})]) as (url, _seen):
        with pytest.raises(ProviderNotFound):
            adapter(url).recording_link("nope")
        adapter(url).delete_room("gone")  # deleting what is gone is fine


def test_an_existing_room_is_reused_after_a_lost_answer():
    room = {"id": "r1", "name": "kendama-1-0", "url": "https://x.daily.co/kendama-1-0"}
    answers = [
        (400, {"error": "invalid-request-error", "info": "a room named kendama-1-0 already exists"}, {}),
        (200, room, {}),
    ]
    now = datetime.now(UTC)
    with scripted(answers) as (url, seen):
        made = adapter(url).create_room(RoomSpec("kendama-1-0", now, now + timedelta(minutes=40)))
    assert made.url == room["url"]
    created = json.loads(seen[0].get_data())
    assert created["privacy"] == "private" and created["properties"]["max_participants"] == 2
    assert created["properties"]["eject_at_room_exp"] is True and created["properties"]["exp"] == int(
        (now + timedelta(minutes=40)).timestamp()
    )
    assert (seen[1].method, seen[1].path) == ("GET", "/rooms/kendama-1-0")


def test_closing_a_room_ends_its_meeting_now_and_keeps_the_room():
    answers = [(200, {"name": "kendama-1-0"}, {}), (200, {"ejectedIds": ["p1", "p2"]}, {})]
    before = int(time.time())
    with scripted(answers) as (url, seen):
        adapter(url).close_room("kendama-1-0", user_ids=["7", "8"])
    (config, eject) = seen
    assert (config.method, config.path) == ("POST", "/rooms/kendama-1-0")  # Daily's "set room config"
    closed_at = json.loads(config.get_data())["properties"]["exp"]
    assert before <= closed_at <= int(time.time())  # nobody may join any more
    assert (eject.method, eject.path) == ("POST", "/rooms/kendama-1-0/eject")
    assert json.loads(eject.get_data()) == {"user_ids": ["7", "8"]}
    with scripted([(404, {"error": "not-found"}, {})]) as (url, _seen):
        adapter(url).close_room("gone", user_ids=["7"])  # a room already deleted is closed


# --- Webhooks ------------------------------------------------------------------------------------


def signed(body: bytes, timestamp: str | None = None) -> dict:
    timestamp = timestamp or str(int(time.time()))
    return {"X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": sign_webhook(SECRET, timestamp, body)}


def envelope(**payload) -> bytes:
    return json.dumps(
        {
            "version": "1.0.0",
            "type": "recording.ready-to-download",
            "id": "evt-1",
            "payload": payload,
            "event_ts": time.time(),
        }
    ).encode()


def test_a_signed_event_is_read_and_normalised():
    body = envelope(recording_id="rec-1", room_name="kendama-3-0", duration=61.6, s3_key="k/1.mp4", status="finished")
    event = DailyVideo("http://unused", "k", SECRET).parse_webhook(signed(body), body)
    assert (event.id, event.kind, event.room_name, event.recording_id) == (
        "evt-1",
        "recording_ready",
        "kendama-3-0",
        "rec-1",
    )
    # What the recording is (its status, duration, file) is read from the provider, never taken from an event.
    assert not hasattr(event, "duration_seconds") and not hasattr(event, "storage_key")


def test_the_signature_is_base64_hmac_sha256_over_timestamp_dot_body_with_the_decoded_secret():
    import hashlib
    import hmac

    body, timestamp = b'{"x":1}', "1700000000"
    expected = base64.b64encode(
        hmac.new(base64.b64decode(SECRET), b"1700000000." + body, hashlib.sha256).digest()
    ).decode()
    assert sign_webhook(SECRET, timestamp, body) == expected


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Webhook-Timestamp": str(int(time.time()))},
        {"X-Webhook-Timestamp": str(int(time.time())), "X-Webhook-Signature": "bm90IGl0"},
        {"X-Webhook-Timestamp": "not-a-time", "X-Webhook-Signature": "bm90IGl0"},
    ],
)
def test_unsigned_or_badly_signed_events_are_refused(headers):
    with pytest.raises(InvalidWebhook):
        DailyVideo("http://unused", "k", SECRET).parse_webhook(headers, envelope(recording_id="r"))


def test_old_events_are_refused_and_milliseconds_are_understood():
    body = envelope(recording_id="r")
    provider = DailyVideo("http://unused", "k", SECRET)
    with pytest.raises(InvalidWebhook):
        provider.parse_webhook(signed(body, str(int(time.time()) - 301)), body)
    assert provider.parse_webhook(signed(body, str(int(time.time() * 1000))), body).recording_id == "r"


@pytest.mark.parametrize("timestamp", ["nan", "NaN", "inf", "-inf", "Infinity", "1e400"])
def test_a_timestamp_that_is_no_moment_fails_the_age_check_even_when_signed(timestamp):
    body = envelope(recording_id="r")
    with pytest.raises(InvalidWebhook, match="too old|timestamp"):
        DailyVideo("http://unused", "k", SECRET).parse_webhook(signed(body, timestamp), body)


def test_names_and_ids_of_a_signed_event_are_strings_or_nothing():
    body = envelope(recording_id={"$ne": ""}, room_name=12)
    event = DailyVideo("http://unused", "k", SECRET).parse_webhook(signed(body), body)
    assert (event.recording_id, event.room_name) == (None, None)


def test_one_recording_is_read_by_its_id():
    item = {
        "id": "rec-9",
        "room_name": "kendama-3-0",
        "status": "finished",
        "duration": 61.6,
        "s3key": "k/9.mp4",
        "mtgSessionId": "m-1",
    }
    with scripted([(200, item, {})]) as (url, seen):
        found = adapter(url).get_recording("rec-9")
    assert (seen[0].method, seen[0].path) == ("GET", "/recordings/rec-9")
    assert found == ProviderRecording("rec-9", "kendama-3-0", "ready", 62, "k/9.mp4", "m-1")
    with scripted([(200, {**item, "duration": float("inf")}, {})]) as (url, _seen):
        assert adapter(url).get_recording("rec-9").duration_seconds is None  # JSON allows Infinity
    with scripted([(404, {"error": "not-found"}, {})]) as (url, seen):
        with pytest.raises(ProviderNotFound):
            adapter(url).get_recording("../rooms/x")
    assert seen[0].environ["RAW_URI"] == "/recordings/..%2Frooms%2Fx"  # an id stays one path segment


def test_without_a_secret_nothing_is_accepted_except_the_endpoint_check():
    provider = DailyVideo("http://unused", "k", None)
    body = envelope(recording_id="r")
    with pytest.raises(InvalidWebhook):
        provider.parse_webhook(signed(body), body)
    assert provider.parse_webhook({}, b'{"test": "test"}') is None
