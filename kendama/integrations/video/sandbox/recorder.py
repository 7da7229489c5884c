"""The sandbox's cloud recorder: a hidden WebRTC participant that writes one WebM file of the call.

Each browser opens one extra peer connection to the recorder and sends its camera and microphone
(sendonly). The recorder tiles the two videos side by side (VP8) and mixes the two voices (Opus)
into one file, as Daily's cloud recording does. aiortc is asyncio, so every recording runs its own
event loop in a daemon thread; the methods here are synchronous and safe to call from Flask
request threads. No Flask in here: the signalling glue calls this API.

The file's timeline is the wall clock from `start()`: video frames go out at a fixed rate and
audio continuously, silence and black included, so its duration is the span recorded.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

from .recorder_mix import BYTES_PER_SAMPLE, CHUNK_SAMPLES, SAMPLE_RATE, AudioBuffer, WebmWriter, mix_pcm

log = logging.getLogger(__name__)

TILES = 2


class RecorderError(RuntimeError):
    """The recorder cannot take this request."""


class RecorderFull(RecorderError):
    """Two other peers already hold the recording's tiles."""


class RecorderNotRunning(RecorderError):
    """The recorder has not started yet, or has stopped."""


def rtc_configuration(ice_servers: list[dict] | None) -> RTCConfiguration:
    """aiortc's configuration for servers given in the browser's RTCIceServer shape."""
    # An explicit empty list: given None, aiortc falls back to Google's STUN server, and an
    # offline machine would wait for it while gathering.
    servers = [
        RTCIceServer(urls=server["urls"], username=server.get("username"), credential=server.get("credential"))
        for server in ice_servers or []
    ]
    return RTCConfiguration(iceServers=servers)


class _Connection:
    """One browser's connection to the recorder: the media it sends, as the tiles need it."""

    def __init__(self, peer_id: str, slot: int, pc: RTCPeerConnection) -> None:
        self.peer_id, self.slot, self.pc = peer_id, slot, pc
        self.video: VideoFrame | None = None
        self.audio: AudioBuffer | None = None
        self._tasks: set[asyncio.Task] = set()

    def receive(self, track: MediaStreamTrack) -> None:
        task = asyncio.get_running_loop().create_task(self._pump(track))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _pump(self, track: MediaStreamTrack) -> None:
        # Each frame is read as it arrives (aiortc has decoded it already); the video keeps only
        # the latest, which the clock samples at the file's rate.
        buffer = AudioBuffer() if track.kind == "audio" else None
        if buffer is not None:
            self.audio = buffer
        try:
            while True:
                frame = await track.recv()
                if buffer is not None:
                    buffer.push(frame)
                else:
                    self.video = frame
        except MediaStreamError:
            log.info("recorder: %s's %s track ended", self.peer_id, track.kind)
        except Exception:
            log.exception("recorder: %s's %s track failed", self.peer_id, track.kind)
        finally:
            if buffer is None:
                self.video = None
            elif self.audio is buffer:
                self.audio = None

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.video = self.audio = None
        try:
            await self.pc.close()
        except Exception:
            log.exception("recorder: closing %s's connection failed", self.peer_id)


class Recorder:
    """A recording of one call to `path`: start, answer the browsers' offers, drop, stop."""

    def __init__(
        self,
        path: Path,
        *,
        ice_servers: list[dict] | None = None,
        fps: int = 15,
        size: tuple[int, int] = (1280, 360),
    ) -> None:
        self.path = Path(path)
        self.fps = fps
        self.size = size
        self._configuration = rtc_configuration(ice_servers)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._writer: WebmWriter | None = None
        self._started_at = 0.0
        self._stopped_seconds: float | None = None
        # Loop-thread state: connections by peer, the owner of each tile, the clocks' positions.
        self._connections: dict[str, _Connection] = {}
        self._owners: list[str | None] = [None] * TILES
        self._connected: tuple[str, ...] = ()
        self._clocks: list[asyncio.Task] = []
        self._video_pts = -1
        self._audio_pts = 0

    # -- the synchronous API ------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop and the file; the file's timeline starts now."""
        with self._lock:
            if self._loop is not None:
                raise RecorderError("a recorder starts once")
            self._writer = WebmWriter(self.path, size=self.size, fps=self.fps)
            loop = asyncio.new_event_loop()
            loop.set_exception_handler(_log_loop_exception)
            self._thread = threading.Thread(target=loop.run_forever, name=f"recorder-{self.path.name}", daemon=True)
            self._thread.start()
            self._started_at = time.monotonic()
            self._loop = loop
            asyncio.run_coroutine_threadsafe(self._start_clocks(), loop).result(10)

    def answer(self, peer_id: str, offer_sdp: str, timeout: float = 10) -> str:
        """The complete answer SDP to a browser's complete (non-trickle) sendonly offer.

        A new offer from the same peer replaces its connection. Raises RecorderFull when two other
        peers hold the tiles, RecorderNotRunning before start or after stop, TimeoutError.
        """
        return self._call(self._answer(peer_id, offer_sdp), timeout)

    def drop(self, peer_id: str) -> None:
        """That peer left: its tile goes black and its audio stops."""
        if self._running():
            self._call(self._drop(peer_id), 10)

    def stop(self) -> float:
        """Close every connection, finish the file, end the thread; the seconds written. Idempotent."""
        # Held throughout, so a second caller returns only once the file is complete.
        with self._lock:
            if self._stopped_seconds is not None:
                return self._stopped_seconds
            if self._loop is None:
                self._stopped_seconds = 0.0
                return 0.0
            seconds = self.seconds
            self._stopped_seconds = seconds  # from here on, answer() and drop() refuse
            loop = self._loop
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(seconds), loop).result(30)
            except Exception:
                log.exception("recorder: shutting down %s failed; finishing the file anyway", self.path)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                self._thread.join(10)
                if not self._thread.is_alive():
                    loop.close()
                self._writer.close()
            return seconds

    @property
    def seconds(self) -> float:
        """Seconds recorded so far (the file's length once stopped)."""
        if self._stopped_seconds is not None:
            return self._stopped_seconds
        return time.monotonic() - self._started_at if self._loop is not None else 0.0

    @property
    def peers(self) -> list[str]:
        """Ids of the peers with a live connection (answered, not dropped, not failed or closed)."""
        return list(self._connected)

    def _running(self) -> bool:
        return self._loop is not None and self._stopped_seconds is None

    def _call(self, coroutine, timeout: float):
        if not self._running():
            coroutine.close()
            raise RecorderNotRunning(f"the recorder of {self.path.name} is not running")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    # -- the loop thread ----------------------------------------------------------------------

    async def _answer(self, peer_id: str, offer_sdp: str) -> str:
        previous = self._connections.pop(peer_id, None)
        if previous is not None:
            log.info("recorder: %s offered again; replacing its connection", peer_id)
            await previous.close()
        slot = self._claim_slot(peer_id)
        pc = RTCPeerConnection(configuration=self._configuration)
        connection = _Connection(peer_id, slot, pc)
        self._connections[peer_id] = connection
        self._publish()
        pc.on("track", connection.receive)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            # A browser that vanishes without a drop (closed tab, lost network) ends up here.
            if pc.connectionState in ("failed", "closed") and self._connections.get(peer_id) is connection:
                log.info("recorder: %s's connection %s", peer_id, pc.connectionState)
                await self._drop(peer_id)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())  # gathers every candidate first
        except BaseException:
            if self._connections.get(peer_id) is connection:
                del self._connections[peer_id]
                self._publish()
            await connection.close()
            raise
        return pc.localDescription.sdp

    def _claim_slot(self, peer_id: str) -> int:
        # Tiles go in arrival order, and a peer that comes back takes its old tile; a third peer
        # only gets the tile of one who is gone.
        if peer_id in self._owners:
            return self._owners.index(peer_id)
        free = [slot for slot, owner in enumerate(self._owners) if owner is None]
        free = free or [slot for slot, owner in enumerate(self._owners) if owner not in self._connections]
        if not free:
            raise RecorderFull(f"the recording already has {TILES} peers: {', '.join(self._owners)}")
        self._owners[free[0]] = peer_id
        return free[0]

    async def _drop(self, peer_id: str) -> None:
        connection = self._connections.pop(peer_id, None)
        self._publish()
        if connection is not None:
            await connection.close()

    def _publish(self) -> None:
        self._connected = tuple(self._connections)

    def _tiles(self) -> list[_Connection | None]:
        return [self._connections.get(owner) if owner else None for owner in self._owners]

    async def _start_clocks(self) -> None:
        loop = asyncio.get_running_loop()
        self._clocks = [loop.create_task(self._video_clock()), loop.create_task(self._audio_clock())]

    async def _video_clock(self) -> None:
        while True:
            try:
                self._emit_video(self.seconds)
            except Exception:
                log.exception("recorder: video frame failed")
            await asyncio.sleep(max(0.0, (self._video_pts + 1) / self.fps - self.seconds))

    async def _audio_clock(self) -> None:
        while True:
            try:
                self._emit_audio(self.seconds)
            except Exception:
                log.exception("recorder: audio chunk failed")
            await asyncio.sleep(CHUNK_SAMPLES / SAMPLE_RATE)

    def _emit_video(self, elapsed: float) -> None:
        # The frame number comes from the clock, so a late wake-up skips frames instead of
        # stretching the file.
        pts = int(elapsed * self.fps)
        if pts > self._video_pts:
            self._video_pts = pts
            self._writer.put_video(pts, [tile.video if tile else None for tile in self._tiles()])

    def _emit_audio(self, elapsed: float, *, final: bool = False) -> None:
        target = int(elapsed * SAMPLE_RATE)
        nbytes = CHUNK_SAMPLES * BYTES_PER_SAMPLE
        while self._audio_pts + CHUNK_SAMPLES <= target or (final and self._audio_pts < target):
            chunks = [tile.audio.take(nbytes) if tile and tile.audio else None for tile in self._tiles()]
            self._writer.put_audio(self._audio_pts, mix_pcm(chunks, nbytes))
            self._audio_pts += CHUNK_SAMPLES

    async def _shutdown(self, seconds: float) -> None:
        for clock in self._clocks:
            clock.cancel()
        await asyncio.gather(*self._clocks, return_exceptions=True)
        # The last frames bring the file to the stop time (the audio to within one 20 ms chunk).
        try:
            self._emit_video(seconds)
            self._emit_audio(seconds, final=True)
        finally:
            connections, self._connections = list(self._connections.values()), {}
            self._publish()
            await asyncio.gather(*(connection.close() for connection in connections), return_exceptions=True)


def _log_loop_exception(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    log.error("recorder loop: %s", context.get("message"), exc_info=context.get("exception"))
