"""Who runs each recording's recorder, and how it hears from the browsers in the call.

A recorder (recorder.py) is a hidden participant of the meeting, as Daily's cloud recorder is: each
browser in the call offers it a send-only connection through the same signalling as the peers use
with each other (the store's signals table), and it writes one file. The process that starts a
recording runs its recorder: a thread here answers the offers, drops people who left, and beats a
heartbeat. Ending the meeting (in any process: a second gunicorn worker too) marks the recording
'stopping', and the owner's thread finishes the file and completes the recording a moment later, so
no request waits for a file to be closed. When the owner has died (a stale heartbeat), whoever
ends the meeting completes the recording from the file as it stands.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable

from .store import Store

log = logging.getLogger(__name__)

OWNER = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
POLL_SECONDS = 0.2
HEARTBEAT_SECONDS = 1.0
STALE_SECONDS = 10.0  # an owner silent this long has died

_runs: dict[str, RecorderRun] = {}
_lock = threading.Lock()


class RecorderRun:
    """One recording's recorder and the thread that connects it to the call."""

    def __init__(self, store: Store, recording_id: str, meeting_id: str, peer_id: str, ice_servers: list[dict]):
        from .recorder import Recorder  # aiortc and PyAV load only where something is recorded

        self.store = store
        self.recording_id = recording_id
        self.meeting_id = meeting_id
        self.peer_id = peer_id
        self.recorder = Recorder(store.media_file(recording_id), ice_servers=ice_servers)
        self.on_stopping: Callable[[str], None] | None = None
        self._after = 0
        self._halt = threading.Event()
        self._wake = threading.Event()
        self._stop_asked = False
        self._thread = threading.Thread(
            target=self._run, name=f"video-sandbox-recorder-{recording_id[:8]}", daemon=True
        )

    def start(self) -> None:
        self.store.media_dir.mkdir(parents=True, exist_ok=True)
        self.recorder.start()
        self._thread.start()

    def ask_to_stop(self) -> None:
        """The meeting ended in this process: finish the file now, not at the next poll."""
        self._stop_asked = True
        self._wake.set()

    def stop(self) -> None:
        """Finish the file (idempotent); the thread ends on its next pass."""
        self._halt.set()
        self.recorder.stop()

    def _run(self) -> None:
        last_beat = 0.0
        while not self._halt.is_set():
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
            if self._halt.is_set():
                break
            try:
                if self._stop_asked:
                    self.recorder.stop()  # the file ends when the meeting did; completed below
                status = self._status()
                if status in (None, "finished"):
                    self.recorder.stop()
                    break
                if status == "stopping":
                    if self.on_stopping:
                        self.on_stopping(self.recording_id)
                    break
                if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                    last_beat = time.monotonic()
                    self._beat()
                self._pump_signals()
            except Exception:  # one bad pass (a malformed offer, a locked file) must not end the recording
                log.exception("video sandbox recorder pass failed")
        with _lock:
            _runs.pop(self.recording_id, None)

    def _status(self) -> str | None:
        with self.store.read() as conn:
            row = conn.execute(
                "SELECT status FROM recordings WHERE id = ? AND deleted = 0", (self.recording_id,)
            ).fetchone()
        return row["status"] if row else None

    def _beat(self) -> None:
        """Keep the heartbeat fresh, and let go of people who have left the meeting."""
        with self.store.write() as conn:
            conn.execute(
                "UPDATE recorders SET heartbeat = ? WHERE recording_id = ? AND owner = ?",
                (time.time(), self.recording_id, OWNER),
            )
            present = {p["id"] for p in self.store.participants(conn, self.meeting_id)}
        for peer in set(self.recorder.peers) - present:
            self.recorder.drop(peer)

    def _pump_signals(self) -> None:
        with self.store.read() as conn:
            waiting = conn.execute(
                "SELECT 1 FROM signals WHERE recipient = ? AND seq > ? LIMIT 1", (self.peer_id, self._after)
            ).fetchone()
        if not waiting:
            return
        with self.store.write() as conn:
            messages = self.store.take_signals(conn, self.peer_id, self._after)
        for message in messages:
            self._after = max(self._after, message["seq"])
            self._handle(message)

    def _handle(self, message: dict) -> None:
        sender, data = message["from"], message["data"]
        if message["kind"] == "bye":
            self.recorder.drop(sender)
        elif message["kind"] == "offer" and isinstance(data, dict) and isinstance(data.get("sdp"), str):
            answer = self.recorder.answer(sender, data["sdp"])
            with self.store.write() as conn:
                self.store.add_signal(
                    conn, self.meeting_id, self.peer_id, sender, "answer", json.dumps({"type": "answer", "sdp": answer})
                )


def start(
    store: Store, conn: sqlite3.Connection, recording_id: str, meeting_id: str, ice_servers: list[dict]
) -> RecorderRun:
    """Start recording in this process; registered in the caller's transaction."""
    peer_id = f"recorder-{uuid.uuid4()}"
    conn.execute(
        "INSERT INTO recorders (recording_id, meeting_id, peer_id, owner, heartbeat) VALUES (?, ?, ?, ?, ?)",
        (recording_id, meeting_id, peer_id, OWNER, time.time()),
    )
    run = RecorderRun(store, recording_id, meeting_id, peer_id, ice_servers)
    with _lock:
        _runs[recording_id] = run
    run.start()
    return run


def stop_here(recording_id: str) -> bool:
    """Stop the recorder if this process runs it (its file is then complete); False when it does not.

    The run stays registered until its thread ends, so wait_idle also waits for the completion."""
    with _lock:
        run = _runs.get(recording_id)
    if run is None:
        return False
    run.stop()
    return True


def ask_to_stop(recording_id: str) -> None:
    """Tell this process's recorder of the recording (if it runs here) that the recording ended."""
    run = run_for(recording_id)
    if run is not None:
        run.ask_to_stop()


def owner_alive(conn: sqlite3.Connection, recording_id: str) -> bool:
    """Whether a recorder runs for this recording: here, or in another process that still beats."""
    if run_for(recording_id) is not None:
        return True
    row = conn.execute("SELECT owner, heartbeat FROM recorders WHERE recording_id = ?", (recording_id,)).fetchone()
    return bool(row and row["owner"] != OWNER and time.time() - row["heartbeat"] < STALE_SECONDS)


def wait_idle(timeout: float = 60.0) -> None:
    """Until every recorder of this process has finished its recording (tests; a clean shutdown)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            threads = [run._thread for run in _runs.values()]
        if not threads:
            return
        threads[0].join(max(0.0, deadline - time.monotonic()))


def run_for(recording_id: str) -> RecorderRun | None:
    with _lock:
        return _runs.get(recording_id)
