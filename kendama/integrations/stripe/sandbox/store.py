"""The sandbox's state in a small SQLite file (stdlib sqlite3).

A file rather than process memory, so that Checkout Sessions, accounts, idempotency keys and
undelivered events survive a restart and are the same in every gunicorn worker. Writes run in
`BEGIN IMMEDIATE` transactions (one writer at a time, others wait up to the busy timeout); the
sandbox never holds a transaction open while it makes an HTTP call.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

API_VERSION = "2026-10-28.endive"  # what the pinned stripe library sends

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    private TEXT NOT NULL DEFAULT '{}',
    status TEXT,
    due INTEGER,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_objects_type_status_due ON objects (type, status, due);
CREATE TABLE IF NOT EXISTS idempotency (
    api_key TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created INTEGER NOT NULL,
    PRIMARY KEY (api_key, key)
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    created INTEGER NOT NULL,
    delivered_at INTEGER,
    abandoned INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    claimed_until INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS faults (scope TEXT PRIMARY KEY, remaining INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fault_kinds (scope TEXT PRIMARY KEY, kind TEXT NOT NULL, seconds REAL NOT NULL);
"""

_initialised: set[str] = set()
_init_lock = threading.Lock()


def new_id(prefix: str) -> str:
    """A Stripe-looking id, e.g. cs_test_3f9a…; random, so it also works as a capability."""
    return (
        f"{prefix}_test_{secrets.token_hex(12)}"
        if prefix in {"cs", "pi", "ch", "re"}
        else f"{prefix}_{secrets.token_hex(12)}"
    )


def now() -> int:
    return int(time.time())


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=15, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 15000")
    if path not in _initialised:
        with _init_lock:
            if path not in _initialised:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(SCHEMA)
                _initialised.add(path)
    return conn


@dataclass
class Tx:
    """One write transaction on the sandbox database."""

    conn: sqlite3.Connection

    def get(self, object_id: str, kind: str | None = None) -> tuple[dict, dict] | None:
        row = self.conn.execute("SELECT type, data, private FROM objects WHERE id = ?", (object_id,)).fetchone()
        if row is None or (kind is not None and row["type"] != kind):
            return None
        return json.loads(row["data"]), json.loads(row["private"])

    def put(self, obj: dict, private: dict | None = None, *, status: str | None = None, due: int | None = None) -> None:
        """Insert or replace an object (its `object` field is its type)."""
        self.conn.execute(
            "INSERT INTO objects (id, type, data, private, status, due, created) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data, private = excluded.private, "
            "status = excluded.status, due = excluded.due",
            (
                obj["id"],
                obj["object"],
                json.dumps(obj),
                json.dumps(private or {}),
                status,
                due,
                obj.get("created", now()),
            ),
        )

    def find(self, kind: str, *, status: str | None = None, due_before: int | None = None) -> list[tuple[dict, dict]]:
        query = "SELECT data, private FROM objects WHERE type = ?"
        args: list[Any] = [kind]
        if status is not None:
            query += " AND status = ?"
            args.append(status)
        if due_before is not None:
            query += " AND due <= ?"
            args.append(due_before)
        rows = self.conn.execute(query + " ORDER BY created, rowid", args).fetchall()
        return [(json.loads(r["data"]), json.loads(r["private"])) for r in rows]

    def emit(self, event_type: str, obj: dict, *, account: str | None = None) -> dict:
        """Record an event (a snapshot of `obj` now) for delivery to the webhook endpoint."""
        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": now(),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        if account:
            event["account"] = account
        self.conn.execute(
            "INSERT INTO events (id, type, body, created) VALUES (?, ?, ?, ?)",
            (event["id"], event_type, json.dumps(event), event["created"]),
        )
        return event


@contextmanager
def transaction(path: str) -> Iterator[Tx]:
    """A write transaction: committed on success, rolled back on any exception."""
    conn = _connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield Tx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


@contextmanager
def reading(path: str) -> Iterator[Tx]:
    """A read-only snapshot: no write lock, so reads never queue behind writers (WAL)."""
    conn = _connect(path)
    try:
        conn.execute("BEGIN")
        try:
            yield Tx(conn)
        finally:
            conn.execute("ROLLBACK")
    finally:
        conn.close()


def webhook_secret(path: str) -> str:
    """The endpoint's signing secret, created on first use."""
    with reading(path) as tx:
        row = tx.conn.execute("SELECT value FROM meta WHERE key = 'webhook_secret'").fetchone()
    if row is not None:
        return row["value"]
    with transaction(path) as tx:
        row = tx.conn.execute("SELECT value FROM meta WHERE key = 'webhook_secret'").fetchone()
        if row is not None:
            return row["value"]
        secret = "whsec_" + secrets.token_urlsafe(32)
        tx.conn.execute("INSERT INTO meta (key, value) VALUES ('webhook_secret', ?)", (secret,))
        return secret


# --- Idempotency keys ----------------------------------------------------------------------


def idempotency_begin(path: str, api_key: str, key: str, fingerprint: str) -> tuple[str, int | None, str | None]:
    """('new', …) to run the request; ('replay', status, body); ('mismatch'|'in_progress', …)."""
    with transaction(path) as tx:
        row = tx.conn.execute(
            "SELECT fingerprint, status, body FROM idempotency WHERE api_key = ? AND key = ?", (api_key, key)
        ).fetchone()
        if row is None:
            tx.conn.execute(
                "INSERT INTO idempotency (api_key, key, fingerprint, created) VALUES (?, ?, ?, ?)",
                (api_key, key, fingerprint, now()),
            )
            return "new", None, None
        if row["fingerprint"] != fingerprint:
            return "mismatch", None, None
        if row["status"] is None:
            return "in_progress", None, None
        return "replay", row["status"], row["body"]


def idempotency_finish(path: str, api_key: str, key: str, status: int, body: str, *, keep: bool) -> None:
    """Save the answer for replays, or forget the key (Stripe keeps no result when nothing ran)."""
    with transaction(path) as tx:
        if keep:
            tx.conn.execute(
                "UPDATE idempotency SET status = ?, body = ? WHERE api_key = ? AND key = ?",
                (status, body, api_key, key),
            )
        else:
            tx.conn.execute("DELETE FROM idempotency WHERE api_key = ? AND key = ?", (api_key, key))


# --- Events awaiting delivery -------------------------------------------------------------


def claim_event(path: str, lease_seconds: int = 30) -> dict | None:
    """The oldest event due for delivery, leased so that two deliverers never send it at once."""
    moment = now()
    with transaction(path) as tx:
        row = tx.conn.execute(
            "UPDATE events SET claimed_until = ?, attempts = attempts + 1 WHERE seq = ("
            "  SELECT seq FROM events WHERE delivered_at IS NULL AND abandoned = 0"
            "  AND next_attempt_at <= ? AND claimed_until < ? ORDER BY seq LIMIT 1"
            ") RETURNING id, body, attempts",
            (moment + lease_seconds, moment, moment),
        ).fetchone()
    return dict(row) if row else None


def event_delivered(path: str, event_id: str) -> None:
    with transaction(path) as tx:
        tx.conn.execute("UPDATE events SET delivered_at = ?, last_error = NULL WHERE id = ?", (now(), event_id))


def event_failed(path: str, event_id: str, attempts: int, error: str, max_attempts: int) -> None:
    """Back off like Stripe does (more briefly: this is a development tool), then give up."""
    delay = min(5 * 2 ** (attempts - 1), 3600)
    with transaction(path) as tx:
        tx.conn.execute(
            "UPDATE events SET last_error = ?, next_attempt_at = ?, claimed_until = 0, abandoned = ? WHERE id = ?",
            (error[:500], now() + delay, int(attempts >= max_attempts), event_id),
        )


def events(path: str, *, event_type: str | None = None) -> list[dict]:
    """Every recorded event, oldest first, with its delivery state (for tests and the event log page)."""
    conn = _connect(path)
    try:
        query = "SELECT body, delivered_at, attempts, last_error, abandoned FROM events"
        args: tuple = ()
        if event_type:
            query += " WHERE type = ?"
            args = (event_type,)
        rows = conn.execute(query + " ORDER BY seq", args).fetchall()
    finally:
        conn.close()
    return [
        {
            "event": json.loads(r["body"]),
            "delivered": r["delivered_at"] is not None,
            "attempts": r["attempts"],
            "last_error": r["last_error"],
            "abandoned": bool(r["abandoned"]),
        }
        for r in rows
    ]


def redeliver(path: str, event_id: str) -> bool:
    """Queue an event to be sent again (as Stripe's dashboard 'Resend' does)."""
    with transaction(path) as tx:
        cursor = tx.conn.execute(
            "UPDATE events SET delivered_at = NULL, abandoned = 0, next_attempt_at = 0, claimed_until = 0 WHERE id = ?",
            (event_id,),
        )
        return cursor.rowcount == 1


# --- Faults, for tests of what happens when Stripe is unavailable -------------------------


FAULT_KINDS = ("unavailable", "error", "stall")


@dataclass(frozen=True)
class Fault:
    """unavailable: a 503 that tells the client not to retry; error: a 500 the client may retry;
    stall: the request runs, but its answer comes only after `seconds` (a caller's timeout)."""

    kind: str
    seconds: float = 0.0


def inject_faults(path: str, scope: str, count: int, kind: str = "unavailable", seconds: float = 0.0) -> None:
    """Make the next `count` API requests matching `scope` (e.g. 'POST /v1/refunds', or '*') fail as `kind`."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}")
    with transaction(path) as tx:
        tx.conn.execute(
            "INSERT INTO faults (scope, remaining) VALUES (?, ?) ON CONFLICT (scope) DO UPDATE SET remaining = ?",
            (scope, count, count),
        )
        tx.conn.execute(
            "INSERT INTO fault_kinds (scope, kind, seconds) VALUES (?, ?, ?) "
            "ON CONFLICT (scope) DO UPDATE SET kind = excluded.kind, seconds = excluded.seconds",
            (scope, kind, seconds),
        )


def take_fault(path: str, method: str, api_path: str) -> Fault | None:
    """The fault armed for this request (and one fewer left), or None."""
    scopes = (f"{method} {api_path}", "*")
    with reading(path) as tx:  # the common case, nothing armed, takes no write lock
        armed = tx.conn.execute("SELECT 1 FROM faults WHERE remaining > 0 AND scope IN (?, ?)", scopes).fetchone()
    if armed is None:
        return None
    with transaction(path) as tx:
        for scope in scopes:
            row = tx.conn.execute("SELECT remaining FROM faults WHERE scope = ?", (scope,)).fetchone()
            if row and row["remaining"] > 0:
                tx.conn.execute("UPDATE faults SET remaining = remaining - 1 WHERE scope = ?", (scope,))
                kind = tx.conn.execute("SELECT kind, seconds FROM fault_kinds WHERE scope = ?", (scope,)).fetchone()
                return Fault(kind["kind"], kind["seconds"]) if kind else Fault("unavailable")
    return None


def get_object(path: str, object_id: str) -> dict | None:
    """An object as the API would show it (tests read the sandbox's records through this)."""
    with reading(path) as tx:
        found = tx.get(object_id)
    return found[0] if found else None
