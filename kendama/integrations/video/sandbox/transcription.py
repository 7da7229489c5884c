"""A meeting's transcript, made after it ends from what its recording heard (captions.py).

Speech recognition takes seconds per minute of audio, so it runs in a thread of its own once the
meeting has ended; the transcript stays "t_in_progress" until the captions are written, and then
transcript.ready-to-download goes out, as at Daily. It reads the meeting's first finished
recording: a recording that is still being finished by another process is waited for. A meeting
that was not recorded has no audio to read, and its captions say that nothing was recognised.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .store import Store

log = logging.getLogger(__name__)

WAIT_FOR_RECORDING_SECONDS = 30.0
MEDIA_KEY_PREFIX = "sandbox-recordings"

_threads: set[threading.Thread] = set()
_lock = threading.Lock()


def transcribe_later(store: Store, transcript_id: str, emit: Callable) -> None:
    """Write the transcript's captions in the background; `emit(conn, type, payload)` queues its webhook."""
    thread = threading.Thread(
        target=_transcribe, args=(store, transcript_id, emit), name="video-sandbox-captions", daemon=True
    )
    with _lock:
        _threads.add(thread)
    thread.start()


def wait_idle(timeout: float = 60.0) -> None:
    """Until every transcript this process started is written (tests; a clean shutdown)."""
    deadline = time.monotonic() + timeout
    while True:
        with _lock:
            running = [t for t in _threads if t.is_alive()]
            _threads.intersection_update(running)
        if not running or time.monotonic() >= deadline:
            return
        running[0].join(max(0.0, deadline - time.monotonic()))


def _transcribe(store: Store, transcript_id: str, emit: Callable) -> None:
    # PocketSphinx and PyAV load only where a meeting was transcribed, not in every web worker.
    from . import captions

    try:
        with store.read() as conn:
            transcript = conn.execute("SELECT * FROM transcripts WHERE id = ?", (transcript_id,)).fetchone()
        if transcript is None:
            return
        media, duration = _recorded_audio(store, transcript["mtg_session_id"])
        if media is None:
            vtt = captions.webvtt([], duration or _meeting_seconds(store, transcript["mtg_session_id"]))
        else:
            vtt = captions.webvtt(captions.transcribe(media), duration)
        _finish(store, transcript_id, vtt, round(duration), emit)
    except Exception:
        log.exception("video sandbox transcript %s failed", transcript_id)


def _recorded_audio(store: Store, meeting_id: str) -> tuple[Path | None, float]:
    """The meeting's first finished recording's file and length, once any recording being finished is."""
    deadline = time.monotonic() + WAIT_FOR_RECORDING_SECONDS
    while True:
        with store.read() as conn:
            rows = conn.execute(
                "SELECT id, status FROM recordings WHERE mtg_session_id = ? AND deleted = 0 ORDER BY start_ts",
                (meeting_id,),
            ).fetchall()
        busy = any(row["status"] != "finished" for row in rows)
        if not busy or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    from . import recording_media

    for row in rows:
        path = store.media_file(row["id"])
        if row["status"] == "finished" and path.exists():
            try:
                return path, recording_media.duration_seconds(path)
            except ValueError:
                continue
    return None, 0.0


def _meeting_seconds(store: Store, meeting_id: str) -> float:
    with store.read() as conn:
        row = conn.execute("SELECT start_ts, end_ts FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    return max(1.0, (row["end_ts"] or time.time()) - row["start_ts"]) if row else 1.0


def _finish(store: Store, transcript_id: str, vtt: str, duration: int, emit: Callable) -> None:
    with store.write() as conn:
        transcript = conn.execute("SELECT * FROM transcripts WHERE id = ?", (transcript_id,)).fetchone()
        if transcript is None or transcript["status"] != "t_in_progress":
            return
        conn.execute(
            "UPDATE transcripts SET status = 't_finished', duration = ?, vtt = ? WHERE id = ?",
            (duration, vtt, transcript_id),
        )
        emit(
            conn,
            "transcript.ready-to-download",
            {
                "id": transcript_id,
                "room_id": transcript["room_id"],
                "room_name": transcript["room_name"],
                "mtg_session_id": transcript["mtg_session_id"],
                "duration": duration,
                "status": "t_finished",
                "out_params": {"key": f"{MEDIA_KEY_PREFIX}/{transcript['room_name']}/{transcript_id}.vtt"},
            },
        )
