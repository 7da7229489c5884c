"""The Daily adapter: the only code that talks to the video provider's REST API.

The same code talks to Daily and to the offline sandbox (kendama/integrations/video/sandbox);
only the base address and the key differ (see sandbox/provider.py). Calls use a Bearer key, bounded
timeouts, and back off and retry on 429 and 5xx answers, which Daily sends under load
(most endpoints allow about 20 requests a second, some about 2).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import math
import random
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from flask import Flask

from .base import (
    AccessLink,
    CallFrame,
    InvalidWebhook,
    ProviderNotFound,
    ProviderRecording,
    ProviderRejected,
    ProviderTranscript,
    ProviderUnreachable,
    Room,
    RoomSpec,
    VideoEvent,
    VideoNotConfigured,
    VideoProvider,
)

log = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300
MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024
RETRYABLE_STATUSES = {429, 500, 502, 503, 504}

EVENT_KINDS = {
    "meeting.started": "meeting_started",
    "meeting.ended": "meeting_ended",
    "recording.started": "recording_started",
    "recording.ready-to-download": "recording_ready",
    "recording.error": "recording_error",
    "transcript.ready-to-download": "transcript_ready",
    "transcript.error": "transcript_error",
}
RECORDING_STATUSES = {"finished": "ready", "in-progress": "in_progress", "canceled": "failed"}
TRANSCRIPT_STATUSES = {
    "t_finished": "ready",
    "t_in_progress": "in_progress",
    "t_error": "failed",
    "t_deleted": "failed",
}


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def from_unix(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def sign_webhook(secret_b64: str, timestamp: str, raw_body: bytes) -> str:
    """Daily's webhook signature: base64 HMAC-SHA256 over "<timestamp>.<raw body>", keyed by the
    base64-decoded secret. The sandbox signs with this too, so both sides share one definition."""
    key = base64.b64decode(secret_b64)
    digest = hmac.new(key, timestamp.encode() + b"." + raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DailyVideo(VideoProvider):
    name = "daily"
    call_frame = CallFrame("daily", script="vendor/daily-js/daily.js")
    embed_origin = "https://*.daily.co"
    media_origin = "https://*.amazonaws.com"  # recordings are fetched from Daily's S3 storage links
    settings = ("DAILY_API_URL", "DAILY_API_KEY", "DAILY_WEBHOOK_SECRET", "DAILY_TIMEOUT_SECONDS")

    @classmethod
    def from_config(cls, app: Flask) -> DailyVideo:
        config = app.config
        if not config.get("DAILY_API_KEY"):
            raise VideoNotConfigured(
                "VIDEO_PROVIDER is daily, and DAILY_API_KEY is not set: "
                "configure DAILY_API_KEY and DAILY_WEBHOOK_SECRET to enable video calls."
            )
        return cls(
            config["DAILY_API_URL"],
            config["DAILY_API_KEY"],
            config.get("DAILY_WEBHOOK_SECRET"),
            timeout_seconds=config["DAILY_TIMEOUT_SECONDS"],
        )

    def __init__(
        self,
        base_url: str,
        api_key: str,
        webhook_secret: str | None,
        *,
        timeout_seconds: float = 10,
        max_attempts: int = 4,
        backoff_seconds: float = 0.25,
        deadline_seconds: float = 15,
    ):
        self.base_url = base_url.rstrip("/")
        self.webhook_secret = webhook_secret
        self.timeout = (3.05, timeout_seconds)
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        # Someone may be waiting on the answer (a join): no retry starts after this long.
        self.deadline_seconds = deadline_seconds
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/json"})
        # Presigned storage links must never see our API key, so files come through a bare session.
        self.files = requests.Session()

    # --- HTTP ---------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None) -> dict:
        url = f"{self.base_url}{path}"
        started = time.monotonic()
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.http.request(method, url, json=body, params=params, timeout=self.timeout)
            except requests.RequestException as exc:
                problem = exc.__class__.__name__
                retry_after = None
            else:
                if response.status_code not in RETRYABLE_STATUSES:
                    return self._result(method, path, response)
                problem = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After")
            delay = self._delay(attempt, retry_after)
            if attempt == self.max_attempts or time.monotonic() - started + delay > self.deadline_seconds:
                raise ProviderUnreachable(f"{method} {path}: {problem} (after {attempt} attempts)")
            log.warning("video provider: %s for %s %s; retrying in %.2f s", problem, method, path, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        """Exponential back-off with jitter; a Retry-After header wins but is capped (a request waits)."""
        delay = self.backoff_seconds * (2 ** (attempt - 1)) * (1 + random.random())
        if retry_after:
            try:
                delay = float(retry_after)
            except ValueError:
                pass
        return min(delay, 5.0)

    @staticmethod
    def _result(method: str, path: str, response: requests.Response) -> dict:
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = {}
        if response.status_code >= 400:
            details = data if isinstance(data, dict) else {}
            info = details.get("info") or details.get("error") or response.reason or ""
            message = f"{method} {path}: HTTP {response.status_code} {info}".strip()
            if response.status_code == 404:
                raise ProviderNotFound(message, 404)
            raise ProviderRejected(message, response.status_code)
        if not isinstance(data, dict):
            raise ProviderRejected(f"{method} {path}: the answer is not a JSON object", response.status_code)
        return data

    # --- Rooms --------------------------------------------------------------------------
    def create_room(self, spec: RoomSpec) -> Room:
        properties = {
            "nbf": unix(spec.not_before),
            "exp": unix(spec.expires),
            "eject_at_room_exp": True,
            "max_participants": spec.max_participants,
            "enable_prejoin_ui": True,
            "enable_knocking": False,
            # Transcripts are kept as WebVTT when a call is transcribed; whether it is (and whether
            # it is recorded) is decided per meeting token, from the consent at join time.
            "enable_transcription_storage": True,
        }
        try:
            data = self._call(
                "POST", "/rooms", body={"name": spec.name, "privacy": "private", "properties": properties}
            )
        except ProviderRejected as exc:
            if exc.status != 400 or "already exists" not in str(exc):
                raise
            data = self._call("GET", f"/rooms/{spec.name}")  # a retry after a lost answer
        return Room(name=data["name"], url=data["url"])

    def delete_room(self, room_name: str) -> None:
        try:
            self._call("DELETE", f"/rooms/{room_name}")
        except ProviderNotFound:
            pass

    def close_room(self, room_name: str, *, user_ids: Sequence[str]) -> None:
        # The room's exp moved to now refuses every join from here on (tokens already handed out
        # included); the eject ends the meeting for whoever is in it at once.
        try:
            self._call("POST", f"/rooms/{room_name}", body={"properties": {"exp": int(time.time())}})
            self._call("POST", f"/rooms/{room_name}/eject", body={"user_ids": [u[:36] for u in user_ids]})
        except ProviderNotFound:
            pass

    def join_token(self, room_name, *, user_id, user_name, is_owner, not_before, expires, record) -> str:
        properties: dict[str, Any] = {
            "room_name": room_name,  # without it a token would open every room of the domain
            "user_id": user_id[:36],
            "user_name": user_name[:100],
            "is_owner": is_owner,
            "nbf": unix(not_before),
            "exp": unix(expires),
            "eject_at_token_exp": True,
            # Nobody starts or stops recording by hand: consent decides, through these properties.
            "enable_recording_ui": False,
        }
        if record:
            properties.update({"enable_recording": "cloud", "start_cloud_recording": True})
            if is_owner:
                properties["auto_start_transcription"] = True
        data = self._call("POST", "/meeting-tokens", body={"properties": properties})
        return data["token"]

    def start_recording(self, room_name: str) -> None:
        self._call("POST", f"/rooms/{room_name}/recordings/start", body={})

    def stop_recording(self, room_name: str) -> None:
        try:
            self._call("POST", f"/rooms/{room_name}/recordings/stop", body={})
        except ProviderRejected as exc:
            if exc.status not in (400, 404):  # nothing was recording
                raise

    # --- Recordings and transcripts ------------------------------------------------------
    def list_recordings(self, room_name: str) -> list[ProviderRecording]:
        data = self._call("GET", "/recordings", params={"room_name": room_name, "limit": 100})
        return [
            _recording(item, room_name)
            for item in data.get("data", [])
            if item.get("room_name", room_name) == room_name
        ]

    def get_recording(self, recording_id: str) -> ProviderRecording:
        item = self._call("GET", f"/recordings/{quote(recording_id, safe='')}")
        if not item.get("id") or not item.get("room_name"):
            raise ProviderRejected(f"GET /recordings/{recording_id}: the answer names no recording or room", 502)
        return _recording(item, item["room_name"])

    def recording_link(self, recording_id: str) -> AccessLink:
        data = self._call("GET", f"/recordings/{recording_id}/access-link")
        return AccessLink(url=data["download_link"], expires_at=from_unix(data.get("expires")))

    def delete_recording(self, recording_id: str) -> None:
        try:
            self._call("DELETE", f"/recordings/{recording_id}")
        except ProviderNotFound:
            pass

    def list_transcripts(self, room_name: str) -> list[ProviderTranscript]:
        # Transcripts are listed by the room's id, not its name.
        try:
            room = self._call("GET", f"/rooms/{room_name}")
        except ProviderNotFound:
            return []
        data = self._call("GET", "/transcript", params={"roomId": room["id"], "limit": 100})
        transcripts = []
        for item in data.get("data", []):
            status = TRANSCRIPT_STATUSES.get(item.get("status", ""), "in_progress")
            if status == "ready" and item.get("isVttAvailable") is False:
                status = "failed"
            transcripts.append(
                ProviderTranscript(id=item["transcriptId"], status=status, meeting_id=item.get("mtgSessionId"))
            )
        return transcripts

    def transcript_link(self, transcript_id: str) -> AccessLink:
        data = self._call("GET", f"/transcript/{transcript_id}/access-link")
        return AccessLink(url=data["link"], expires_at=from_unix(data.get("expires")))

    def transcript_text(self, transcript_id: str) -> str:
        link = self.transcript_link(transcript_id)
        try:
            response = self.files.get(link.url, timeout=self.timeout, stream=True)
            response.raise_for_status()
            raw = response.raw.read(MAX_TRANSCRIPT_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            raise ProviderUnreachable(f"transcript {transcript_id}: {exc.__class__.__name__}") from exc
        if len(raw) > MAX_TRANSCRIPT_BYTES:
            raise ProviderRejected(f"transcript {transcript_id} is larger than {MAX_TRANSCRIPT_BYTES} bytes", 413)
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
        if not text.startswith("WEBVTT"):
            raise ProviderRejected(f"transcript {transcript_id} is not WebVTT", 415)
        return text

    # --- Webhooks -----------------------------------------------------------------------
    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> VideoEvent | None:
        try:
            body = json.loads(raw_body)
        except ValueError as exc:
            raise InvalidWebhook("The body is not JSON.") from exc
        # Daily checks a new endpoint with this exact body and wants a quick 200; it changes nothing.
        if body == {"test": "test"}:
            return None
        self._verify(headers, raw_body)
        if not isinstance(body, dict) or not isinstance(body.get("payload"), dict) or not body.get("id"):
            raise InvalidWebhook("Not an event envelope.")
        payload = body["payload"]
        event_type = str(body.get("type", ""))
        return VideoEvent(
            id=str(body["id"]),
            kind=EVENT_KINDS.get(event_type, "other"),
            type=event_type,
            room_name=_text_or_none(payload.get("room_name") or payload.get("room")),
            recording_id=_text_or_none(payload.get("recording_id")),
            transcript_id=_text_or_none(payload.get("id")) if event_type.startswith("transcript.") else None,
            ended_at=from_unix(payload.get("end_ts")) if payload.get("end_ts") is not None else None,
            payload=payload,
        )

    def _verify(self, headers: Mapping[str, str], raw_body: bytes) -> None:
        if not self.webhook_secret:
            raise InvalidWebhook("No webhook secret is configured (DAILY_WEBHOOK_SECRET).")
        timestamp = headers.get("X-Webhook-Timestamp", "")
        signature = headers.get("X-Webhook-Signature", "")
        if not timestamp or not signature:
            raise InvalidWebhook("The signature headers are missing.")
        try:
            expected = sign_webhook(self.webhook_secret, timestamp, raw_body)
            sent = float(timestamp)
        except (binascii.Error, ValueError) as exc:
            raise InvalidWebhook("The signature or timestamp is malformed.") from exc
        if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
            raise InvalidWebhook("The signature does not match.")
        if sent > 1e11:  # milliseconds
            sent /= 1000
        # NaN compares false with everything, so it would pass the age check below; infinity is no moment either.
        if not math.isfinite(sent) or abs(time.time() - sent) > WEBHOOK_TOLERANCE_SECONDS:
            raise InvalidWebhook("The event is too old (or from the future).")


def _recording(item: dict, room_name: str) -> ProviderRecording:
    """One recording of Daily's JSON (an item of GET /recordings, or GET /recordings/:id)."""
    return ProviderRecording(
        id=item["id"],
        room_name=item.get("room_name", room_name),
        status=RECORDING_STATUSES.get(item.get("status", ""), "in_progress"),
        duration_seconds=_int_or_none(item.get("duration")),
        storage_key=item.get("s3key"),
        meeting_id=item.get("mtgSessionId"),
    )


def _text_or_none(value: Any) -> str | None:
    """A name or id from a payload: only a string is one (JSON could carry a number or an object)."""
    return value if isinstance(value, str) and value else None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(round(float(value)))
    except (TypeError, ValueError, OverflowError):  # not a number, NaN, or ±Infinity (JSON allows both)
        return None
