"""What happens in a sandbox room: people join and leave, recording starts and stops, meetings end.

It follows Daily's rules where the app relies on them: a token opens only its own room and only
inside its nbf/exp window, a private room admits no one without a token, max_participants holds,
everyone is ejected at the room's (or token's) expiry, and a meeting ends when the last person
leaves. The people in a call exchange their WebRTC offers, answers and ICE candidates through
`signal` and `poll`. A recording is made by a hidden recorder (recorders.py) that writes the call to
a file; its reported duration is the file's length, and its transcript is recognised from that
file's audio after the meeting (transcription.py).
Events go out as webhooks in Daily's envelope (see webhooks.py).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from typing import Any

from . import recorders, transcription
from .store import STALE_SECONDS, Store

log = logging.getLogger(__name__)

MEDIA_KEY_PREFIX = "sandbox-recordings"
SIGNAL_KINDS = {"offer", "answer", "candidate", "bye", "media"}
SIGNAL_MAX_BYTES = 32_000  # an SDP with all its candidates is a few kilobytes


class CallRefused(Exception):
    """A join the real service would refuse too; `code` follows daily-js's error names."""

    def __init__(self, code: str, message: str, status: int = 403):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Meetings:
    def __init__(self, store: Store, webhook_url: str, ice_servers: list[dict] | None = None):
        self.store = store
        self.webhook_url = webhook_url
        self.ice_servers = ice_servers or []

    # --- the call screen ------------------------------------------------------------------
    def join(self, room_name: str, token: dict[str, Any]) -> dict:
        now = time.time()
        with self.store.write() as conn:
            room = self._room(conn, room_name)
            self._check_admission(room, token, now)
            self._reap(conn, room, now)
            meeting = self.store.active_meeting(conn, room_name)
            user_id = str(token.get("user_id") or "")
            if meeting is not None and user_id:
                # The same person again (a reload, a second tab): the new connection replaces the old.
                conn.execute(
                    "UPDATE participants SET left_at = ? WHERE meeting_id = ? AND user_id = ? AND left_at IS NULL",
                    (now, meeting["id"], user_id),
                )
            if meeting is not None:
                present = len(self.store.participants(conn, meeting["id"]))
                if present >= int(room["properties"].get("max_participants") or 200):
                    raise CallRefused("room-full", "This room is full.")
            if meeting is None:
                meeting_id = str(uuid.uuid4())
                conn.execute(
                    "INSERT INTO meetings (id, room_name, start_ts) VALUES (?, ?, ?)", (meeting_id, room_name, now)
                )
                self._event(conn, "meeting.started", {"start_ts": now, "meeting_id": meeting_id, "room": room_name})
                meeting = conn.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
            participant_id = str(uuid.uuid4())
            expires = [v for v in (token.get("exp"), room["properties"].get("exp")) if v]
            conn.execute(
                "INSERT INTO participants (id, meeting_id, room_name, user_id, user_name, is_owner, joined_at, last_seen,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    participant_id,
                    meeting["id"],
                    room_name,
                    user_id or None,
                    str(token.get("user_name") or "Guest")[:100],
                    1 if token.get("is_owner") else 0,
                    now,
                    now,
                    min(expires) if expires else None,
                ),
            )
            records = token.get("enable_recording", room["properties"].get("enable_recording")) == "cloud"
            if records and token.get("start_cloud_recording") and not meeting["recording_id"]:
                self._start_recording(conn, room, meeting["id"], now)
            if token.get("is_owner") and token.get("auto_start_transcription") and not meeting["transcript_id"]:
                self._start_transcript(conn, room, meeting["id"], now)
            return {"participant_id": participant_id, **self._state(conn, room_name, participant_id)}

    def heartbeat(self, room_name: str, participant_id: str, after: int = 0) -> dict:
        """Still here: the room's state, and the signals for this participant after `after`."""
        now = time.time()
        with self.store.write() as conn:
            room = self._room(conn, room_name)
            conn.execute(
                "UPDATE participants SET last_seen = ? WHERE id = ? AND left_at IS NULL", (now, participant_id)
            )
            self._reap(conn, room, now)
            state = self._state(conn, room_name, participant_id)
            state["signals"] = self.store.take_signals(conn, participant_id, after) if state["in_call"] else []
            return state

    def signal(self, room_name: str, participant_id: str, recipient: str, kind: str, data: Any) -> None:
        """Pass a WebRTC message from one person in the call to another (or to the recorder)."""
        body = json.dumps(data)
        if kind not in SIGNAL_KINDS or len(body) > SIGNAL_MAX_BYTES:
            raise CallRefused("invalid-request-error", "This is not a signal the call understands.", 400)
        with self.store.write() as conn:
            self._room(conn, room_name)
            meeting = self.store.active_meeting(conn, room_name)
            present = {p["id"] for p in self.store.participants(conn, meeting["id"])} if meeting else set()
            if participant_id not in present:
                raise CallRefused("not-allowed", "You are not in this call.")
            recorder = self.store.recorder_for_meeting(conn, meeting["id"])
            if recipient == participant_id or recipient not in present | ({recorder["peer_id"]} if recorder else set()):
                raise CallRefused("not-found", "Nobody by that id is in this call.", 404)
            self.store.add_signal(conn, meeting["id"], participant_id, recipient, kind, body)

    def leave(self, room_name: str, participant_id: str) -> dict:
        now = time.time()
        with self.store.write() as conn:
            room = self._room(conn, room_name)
            conn.execute("UPDATE participants SET left_at = ? WHERE id = ? AND left_at IS NULL", (now, participant_id))
            self._reap(conn, room, now)
            return self._state(conn, room_name, participant_id)

    def sweep(self, room_name: str) -> None:
        """End what has ended (everyone gone, or the room expired) before answering about a room."""
        now = time.time()
        with self.store.read() as conn:
            meeting = self.store.active_meeting(conn, room_name)
            if meeting is None:
                return
            stale = conn.execute(
                "SELECT 1 FROM participants WHERE meeting_id = ? AND left_at IS NULL AND (last_seen < ? OR expires_at <= ?)",
                (meeting["id"], now - STALE_SECONDS, now),
            ).fetchone()
            alive = self.store.participants(conn, meeting["id"])
        if stale or not alive:
            with self.store.write() as conn:
                room = conn.execute("SELECT * FROM rooms WHERE name = ?", (room_name,)).fetchone()
                self._reap(conn, _room_dict(room) if room else {"name": room_name, "id": "", "properties": {}}, now)

    # --- REST: people ejected, recordings started and stopped by the app --------------------
    def eject(self, room_name: str, *, participant_ids: list[str], user_ids: list[str]) -> list[str]:
        """Put these participants out of the meeting (by participant id or token user_id); the ids ejected."""
        now = time.time()
        with self.store.write() as conn:
            room = self._room(conn, room_name)
            meeting = self.store.active_meeting(conn, room_name)
            if meeting is None:
                return []
            ejected = [
                p["id"]
                for p in self.store.participants(conn, meeting["id"])
                if p["id"] in participant_ids or p["user_id"] in user_ids
            ]
            conn.executemany("UPDATE participants SET left_at = ? WHERE id = ?", [(now, pid) for pid in ejected])
            self._reap(conn, room, now)  # the meeting ends (recording and transcript finish) once it is empty
            return ejected

    def start_recording(self, room_name: str) -> None:
        now = time.time()
        with self.store.write() as conn:
            room = self._room(conn, room_name)
            self._reap(conn, room, now)
            meeting = self.store.active_meeting(conn, room_name)
            if meeting is None:
                raise CallRefused("invalid-request-error", "There is no meeting in this room to record.", 400)
            if meeting["recording_id"]:
                raise CallRefused("invalid-request-error", "This meeting is already being recorded.", 400)
            self._start_recording(conn, room, meeting["id"], now)

    def stop_recording(self, room_name: str) -> None:
        with self.store.write() as conn:
            self._room(conn, room_name)
            meeting = self.store.active_meeting(conn, room_name)
            if meeting is None or not meeting["recording_id"]:
                raise CallRefused("invalid-request-error", "Nothing is being recorded in this room.", 400)
            self._finish_recording(conn, meeting)

    # --- internals ----------------------------------------------------------------------
    def _room(self, conn: sqlite3.Connection, room_name: str) -> dict:
        row = conn.execute("SELECT * FROM rooms WHERE name = ?", (room_name,)).fetchone()
        if row is None:
            raise CallRefused("not-found", "This room does not exist (or was deleted).", 404)
        return _room_dict(row)

    @staticmethod
    def _check_admission(room: dict, token: dict[str, Any], now: float) -> None:
        props = room["properties"]
        if token.get("room_name") not in (None, room["name"]):
            raise CallRefused("token-room-mismatch", "This meeting token is for another room.")
        if room["privacy"] == "private" and token.get("room_name") != room["name"]:
            raise CallRefused("not-allowed", "This room is private: a token for it is needed.")
        if props.get("nbf") and now < props["nbf"]:
            raise CallRefused("nbf-room", "This room is not open yet.")
        if token.get("nbf") and now < token["nbf"]:
            raise CallRefused("nbf-token", "This meeting token is not valid yet.")
        if props.get("exp") and now >= props["exp"]:
            raise CallRefused("exp-room", "This room has closed.")
        if token.get("exp") and now >= token["exp"]:
            raise CallRefused("exp-token", "This meeting token has expired.")

    def _reap(self, conn: sqlite3.Connection, room: dict, now: float) -> None:
        meeting = self.store.active_meeting(conn, room["name"])
        if meeting is None:
            return
        conn.execute(
            "UPDATE participants SET left_at = ? WHERE meeting_id = ? AND left_at IS NULL "
            "AND (last_seen < ? OR expires_at <= ?)",
            (now, meeting["id"], now - STALE_SECONDS, now),
        )
        if not self.store.participants(conn, meeting["id"]):
            self._end_meeting(conn, room, meeting, now)

    def _end_meeting(self, conn: sqlite3.Connection, room: dict, meeting: sqlite3.Row, now: float) -> None:
        conn.execute("UPDATE meetings SET end_ts = ? WHERE id = ?", (now, meeting["id"]))
        self._event(
            conn,
            "meeting.ended",
            {"start_ts": meeting["start_ts"], "end_ts": now, "meeting_id": meeting["id"], "room": room["name"]},
        )
        if meeting["recording_id"]:
            self._finish_recording(conn, meeting)
        if meeting["transcript_id"]:
            self._finish_transcript(conn, room, meeting)

    def _start_recording(self, conn: sqlite3.Connection, room: dict, meeting_id: str, now: float) -> None:
        recording_id = str(uuid.uuid4())
        key = f"{MEDIA_KEY_PREFIX}/{room['name']}/{int(now * 1000)}"
        conn.execute(
            "INSERT INTO recordings (id, room_name, mtg_session_id, start_ts, status, s3key) VALUES (?, ?, ?, ?, ?, ?)",
            (recording_id, room["name"], meeting_id, now, "in-progress", key),
        )
        conn.execute("UPDATE meetings SET recording_id = ? WHERE id = ?", (recording_id, meeting_id))
        try:
            recorders.start(
                self.store, conn, recording_id, meeting_id, self.ice_servers
            ).on_stopping = self.complete_stopping
        except Exception:  # the call goes on; without a file the recording ends in recording.error
            log.exception("video sandbox recorder for %s did not start", recording_id)
        self._event(
            conn,
            "recording.started",
            {
                "action": "start-cloud-recording",
                "recording_id": recording_id,
                "start_ts": now,
                "room_name": room["name"],
            },
        )

    def _finish_recording(self, conn: sqlite3.Connection, meeting: sqlite3.Row) -> None:
        recording = conn.execute("SELECT * FROM recordings WHERE id = ?", (meeting["recording_id"],)).fetchone()
        conn.execute("UPDATE meetings SET recording_id = NULL WHERE id = ?", (meeting["id"],))
        if recording is None or recording["status"] != "in-progress":
            return
        if recorders.owner_alive(conn, recording["id"]):
            # Its recorder finishes the file and completes the recording (complete_stopping).
            conn.execute("UPDATE recordings SET status = 'stopping' WHERE id = ?", (recording["id"],))
            recorders.ask_to_stop(recording["id"])
        else:  # its recorder died with its process: the file as it stands is the recording
            self._complete_recording(conn, recording)

    def complete_stopping(self, recording_id: str) -> None:
        """The recorder's thread completes its recording once the meeting (or its consent) stopped it."""
        recorders.stop_here(recording_id)
        with self.store.write() as conn:
            recording = conn.execute("SELECT * FROM recordings WHERE id = ?", (recording_id,)).fetchone()
            if recording is not None and recording["status"] == "stopping":
                self._complete_recording(conn, recording)

    def _complete_recording(self, conn: sqlite3.Connection, recording: sqlite3.Row) -> None:
        """The file is complete: say how long it is, as Daily does once the file is uploaded."""
        from . import recording_media  # PyAV loads only where something was recorded

        try:
            # What the file lasts, so that the pages, the API and the file agree.
            duration = max(1, round(recording_media.duration_seconds(self.store.media_file(recording["id"]))))
        except (OSError, ValueError):
            log.exception("video sandbox recording %s has no readable file", recording["id"])
            conn.execute("UPDATE recordings SET status = 'failed' WHERE id = ?", (recording["id"],))
            self._event(
                conn,
                "recording.error",
                {
                    "action": "cloud-recording-err",
                    "error_msg": "The recording's file could not be written.",
                    "instance_id": recording["id"],
                    "room_name": recording["room_name"],
                    "timestamp": time.time(),
                },
            )
            return
        conn.execute(
            "UPDATE recordings SET status = 'finished', duration = ? WHERE id = ?", (duration, recording["id"])
        )
        self._event(
            conn,
            "recording.ready-to-download",
            {
                "type": "cloud",
                "recording_id": recording["id"],
                "room_name": recording["room_name"],
                "start_ts": recording["start_ts"],
                "status": "finished",
                "max_participants": 2,
                "duration": duration,
                "s3_key": recording["s3key"],
            },
        )

    def _start_transcript(self, conn: sqlite3.Connection, room: dict, meeting_id: str, now: float) -> None:
        transcript_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO transcripts (id, room_id, room_name, mtg_session_id, start_ts, status) VALUES (?, ?, ?, ?, ?, ?)",
            (transcript_id, room["id"], room["name"], meeting_id, now, "t_in_progress"),
        )
        conn.execute("UPDATE meetings SET transcript_id = ? WHERE id = ?", (transcript_id, meeting_id))
        self._event(
            conn,
            "transcript.started",
            {"id": transcript_id, "room_id": room["id"], "room_name": room["name"], "mtg_session_id": meeting_id},
        )

    def _finish_transcript(self, conn: sqlite3.Connection, room: dict, meeting: sqlite3.Row) -> None:
        transcript = conn.execute("SELECT * FROM transcripts WHERE id = ?", (meeting["transcript_id"],)).fetchone()
        if transcript is None or transcript["status"] != "t_in_progress":
            return
        transcription.transcribe_later(self.store, transcript["id"], self._emit)

    def _state(self, conn: sqlite3.Connection, room_name: str, participant_id: str) -> dict:
        meeting = self.store.active_meeting(conn, room_name)
        people = self.store.participants(conn, meeting["id"]) if meeting else []
        me = conn.execute("SELECT left_at, expires_at FROM participants WHERE id = ?", (participant_id,)).fetchone()
        room = conn.execute("SELECT properties FROM rooms WHERE name = ?", (room_name,)).fetchone()
        closes = json.loads(room["properties"]).get("exp") if room else None
        recorder = self.store.recorder_for_meeting(conn, meeting["id"]) if meeting else None
        return {
            "participants": [
                {"id": p["id"], "name": p["user_name"], "owner": bool(p["is_owner"]), "you": p["id"] == participant_id}
                for p in people
            ],
            "recording": bool(meeting and meeting["recording_id"]),
            # The hidden participant each browser sends its media to while the call is recorded.
            "recorder": recorder["peer_id"] if recorder else None,
            "in_call": bool(me and me["left_at"] is None),
            "expires_at": me["expires_at"] if me else None,
            # The room admits nobody any more (its time is up, or the app closed it): no rejoining.
            "room_closed": room is None or bool(closes and time.time() >= closes),
        }

    def _event(self, conn: sqlite3.Connection, event_type: str, payload: dict[str, Any]) -> None:
        self.store.add_webhook(conn, self.webhook_url, event_type, payload)

    _emit = _event


def _room_dict(row: sqlite3.Row) -> dict:
    return {**dict(row), "properties": json.loads(row["properties"])}
