"""The video sandbox's state in a small SQLite file (stdlib sqlite3).

A file rather than process memory, so rooms, who is in a call, recordings and undelivered
webhooks survive a restart and are the same in every gunicorn worker. Writes run in
`BEGIN IMMEDIATE` transactions (one writer at a time; others wait up to the busy timeout), and
no transaction is held open across an HTTP call.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A participant whose page stopped polling this long ago has left (closed tab, lost network).
STALE_SECONDS = 20

SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    name TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    privacy TEXT NOT NULL,
    properties TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meetings (
    id TEXT PRIMARY KEY,
    room_name TEXT NOT NULL,
    start_ts REAL NOT NULL,
    end_ts REAL,
    recording_id TEXT,
    transcript_id TEXT
);
CREATE INDEX IF NOT EXISTS ix_meetings_room ON meetings (room_name, end_ts);
CREATE TABLE IF NOT EXISTS participants (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL,
    room_name TEXT NOT NULL,
    user_id TEXT,
    user_name TEXT NOT NULL,
    is_owner INTEGER NOT NULL,
    joined_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    expires_at REAL,
    left_at REAL
);
CREATE INDEX IF NOT EXISTS ix_participants_meeting ON participants (meeting_id, left_at);
CREATE TABLE IF NOT EXISTS recordings (
    id TEXT PRIMARY KEY,
    room_name TEXT NOT NULL,
    mtg_session_id TEXT NOT NULL,
    start_ts REAL NOT NULL,
    status TEXT NOT NULL,
    duration INTEGER NOT NULL DEFAULT 0,
    s3key TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_recordings_room ON recordings (room_name);
CREATE TABLE IF NOT EXISTS transcripts (
    id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    room_name TEXT NOT NULL,
    mtg_session_id TEXT NOT NULL,
    start_ts REAL NOT NULL,
    status TEXT NOT NULL,
    duration INTEGER NOT NULL DEFAULT 0,
    vtt TEXT
);
CREATE INDEX IF NOT EXISTS ix_transcripts_room ON transcripts (room_id);
CREATE TABLE IF NOT EXISTS signals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_signals_recipient ON signals (recipient, seq);
CREATE TABLE IF NOT EXISTS recorders (
    recording_id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL,
    peer_id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    heartbeat REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS webhooks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    claimed_until REAL NOT NULL DEFAULT 0,
    delivered_at REAL,
    last_error TEXT
);
"""

_initialised: set[str] = set()
_init_lock = threading.Lock()


@dataclass(frozen=True)
class Outgoing:
    """A webhook to deliver: the envelope's id, where to, and the exact body to sign and send."""

    seq: int
    id: str
    type: str
    url: str
    body: str


class Store:
    """All sandbox state behind one SQLite file."""

    def __init__(self, path: Path):
        self.path = path
        key = str(path)
        if key not in _initialised:
            with _init_lock:
                if key not in _initialised:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    with self._connect() as conn:
                        conn.execute("PRAGMA journal_mode=WAL")
                        conn.executescript(SCHEMA)
                    _initialised.add(key)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=15, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=15000")
        return conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    # --- rooms -------------------------------------------------------------------------
    def create_room(self, name: str, privacy: str, properties: dict[str, Any]) -> dict | None:
        """The new room, or None when one of that name exists."""
        with self.write() as conn:
            if conn.execute("SELECT 1 FROM rooms WHERE name = ?", (name,)).fetchone():
                return None
            conn.execute(
                "INSERT INTO rooms (name, id, privacy, properties, created_at) VALUES (?, ?, ?, ?, ?)",
                (name, str(uuid.uuid4()), privacy, json.dumps(properties), time.time()),
            )
        return self.room(name)

    def room(self, name: str) -> dict | None:
        with self.read() as conn:
            row = conn.execute("SELECT * FROM rooms WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        return {**dict(row), "properties": json.loads(row["properties"])}

    def update_room(self, name: str, properties: dict[str, Any]) -> dict | None:
        """Merge new properties into the room's (Daily's "set room config"); None when there is no such room."""
        with self.write() as conn:
            row = conn.execute("SELECT properties FROM rooms WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            merged = {**json.loads(row["properties"]), **properties}
            conn.execute("UPDATE rooms SET properties = ? WHERE name = ?", (json.dumps(merged), name))
        return self.room(name)

    def delete_room(self, name: str) -> bool:
        with self.write() as conn:
            return conn.execute("DELETE FROM rooms WHERE name = ?", (name,)).rowcount > 0

    # --- meetings and participants -------------------------------------------------------
    def active_meeting(self, conn: sqlite3.Connection, room_name: str) -> sqlite3.Row | None:
        return conn.execute(
            "SELECT * FROM meetings WHERE room_name = ? AND end_ts IS NULL ORDER BY start_ts DESC LIMIT 1", (room_name,)
        ).fetchone()

    def participants(self, conn: sqlite3.Connection, meeting_id: str) -> list[dict]:
        rows = conn.execute(
            "SELECT id, user_id, user_name, is_owner, joined_at FROM participants "
            "WHERE meeting_id = ? AND left_at IS NULL ORDER BY joined_at",
            (meeting_id,),
        ).fetchall()
        return [dict(row) for row in rows]

    def recordings(self, room_name: str | None = None) -> list[dict]:
        with self.read() as conn:
            if room_name is None:
                rows = conn.execute("SELECT * FROM recordings WHERE deleted = 0 ORDER BY start_ts DESC").fetchall()
            else:
                rows = conn.execute(
                    "SELECT * FROM recordings WHERE deleted = 0 AND room_name = ? ORDER BY start_ts DESC", (room_name,)
                ).fetchall()
        return [dict(row) for row in rows]

    def recording(self, recording_id: str) -> dict | None:
        with self.read() as conn:
            row = conn.execute("SELECT * FROM recordings WHERE id = ? AND deleted = 0", (recording_id,)).fetchone()
        return dict(row) if row else None

    def delete_recording(self, recording_id: str) -> bool:
        with self.write() as conn:
            deleted = (
                conn.execute("UPDATE recordings SET deleted = 1 WHERE id = ? AND deleted = 0", (recording_id,)).rowcount
                > 0
            )
        if deleted:
            self.media_file(recording_id).unlink(missing_ok=True)  # a deleted recording keeps no footage
        return deleted

    @property
    def media_dir(self) -> Path:
        """Where the recordings' files are: beside the state file, one folder per sandbox."""
        return self.path.with_name(f"{self.path.stem}-media")

    def media_file(self, recording_id: str) -> Path:
        return self.media_dir / f"{recording_id}.webm"

    def transcripts(self, room_id: str) -> list[dict]:
        with self.read() as conn:
            rows = conn.execute(
                "SELECT * FROM transcripts WHERE room_id = ? ORDER BY start_ts DESC", (room_id,)
            ).fetchall()
        return [dict(row) for row in rows]

    def transcript(self, transcript_id: str) -> dict | None:
        with self.read() as conn:
            row = conn.execute("SELECT * FROM transcripts WHERE id = ?", (transcript_id,)).fetchone()
        return dict(row) if row else None

    # --- signalling: offers, answers and ICE candidates between the peers of a meeting ----------
    def add_signal(
        self, conn: sqlite3.Connection, meeting_id: str, sender: str, recipient: str, kind: str, body: str
    ) -> None:
        conn.execute(
            "INSERT INTO signals (meeting_id, sender, recipient, kind, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (meeting_id, sender, recipient, kind, body, time.time()),
        )

    def take_signals(self, conn: sqlite3.Connection, recipient: str, after: int) -> list[dict]:
        """The messages for `recipient` after `after`; those up to `after` were read and are dropped."""
        conn.execute("DELETE FROM signals WHERE recipient = ? AND seq <= ?", (recipient, after))
        rows = conn.execute(
            "SELECT seq, sender, kind, body FROM signals WHERE recipient = ? AND seq > ? ORDER BY seq LIMIT 200",
            (recipient, after),
        ).fetchall()
        return [{"seq": r["seq"], "from": r["sender"], "kind": r["kind"], "data": json.loads(r["body"])} for r in rows]

    # --- the recorder of each recording in progress, and which process runs it ----------------------
    def recorder_for_meeting(self, conn: sqlite3.Connection, meeting_id: str) -> sqlite3.Row | None:
        return conn.execute(
            "SELECT r.* FROM recorders r JOIN recordings c ON c.id = r.recording_id "
            "WHERE r.meeting_id = ? AND c.status = 'in-progress'",
            (meeting_id,),
        ).fetchone()

    # --- webhooks ----------------------------------------------------------------------
    def add_webhook(self, conn: sqlite3.Connection, url: str, event_type: str, payload: dict[str, Any]) -> None:
        """Queue an event in the caller's transaction, in Daily's envelope."""
        now = time.time()
        event_id = f"{event_type.replace('.', '-')}-{uuid.uuid4()}"
        body = json.dumps({"version": "1.0.0", "type": event_type, "id": event_id, "payload": payload, "event_ts": now})
        conn.execute(
            "INSERT INTO webhooks (id, type, url, body, created_at) VALUES (?, ?, ?, ?, ?)",
            (event_id, event_type, url, body, now),
        )

    def claim_webhooks(self, limit: int = 20, lease_seconds: float = 30) -> list[Outgoing]:
        """Due undelivered events, leased to this deliverer so another worker does not send them too."""
        now = time.time()
        with self.write() as conn:
            rows = conn.execute(
                "SELECT seq, id, type, url, body FROM webhooks WHERE delivered_at IS NULL AND attempts < 10 "
                "AND next_attempt_at <= ? AND claimed_until <= ? ORDER BY seq LIMIT ?",
                (now, now, limit),
            ).fetchall()
            for row in rows:
                conn.execute("UPDATE webhooks SET claimed_until = ? WHERE seq = ?", (now + lease_seconds, row["seq"]))
        return [Outgoing(row["seq"], row["id"], row["type"], row["url"], row["body"]) for row in rows]

    def pending_webhooks(self) -> list[Outgoing]:
        """Everything not delivered yet, oldest first (tests deliver these themselves)."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT seq, id, type, url, body FROM webhooks WHERE delivered_at IS NULL ORDER BY seq"
            ).fetchall()
        return [Outgoing(row["seq"], row["id"], row["type"], row["url"], row["body"]) for row in rows]

    def mark_delivered(self, seq: int) -> None:
        with self.write() as conn:
            conn.execute(
                "UPDATE webhooks SET delivered_at = ?, attempts = attempts + 1 WHERE seq = ?", (time.time(), seq)
            )

    def mark_failed(self, seq: int, error: str) -> None:
        with self.write() as conn:
            row = conn.execute("SELECT attempts FROM webhooks WHERE seq = ?", (seq,)).fetchone()
            attempts = (row["attempts"] if row else 0) + 1
            conn.execute(
                "UPDATE webhooks SET attempts = ?, last_error = ?, claimed_until = 0, next_attempt_at = ? WHERE seq = ?",
                (attempts, error[:500], time.time() + min(2**attempts, 300), seq),
            )
