"""The recorder's media work: tiling two videos, mixing two voices, writing the WebM file.

PyAV only (no numpy): frames are scaled by swscale (`frame.reformat`) and pasted row by row into
the composite's planes; the voices are mixed as 16-bit mono PCM. Everything here is plain
synchronous code; `recorder.py` drives it from its event loop and clock.
"""

from __future__ import annotations

import logging
import queue
import threading
from array import array
from fractions import Fraction
from pathlib import Path

import av
from av import AudioFrame, VideoFrame

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
# Opus's 20 ms frame: the mixer hands the writer chunks of exactly this many samples.
CHUNK_SAMPLES = 960
BYTES_PER_SAMPLE = 2  # s16 mono
VIDEO_BIT_RATE = 1_000_000
AUDIO_BIT_RATE = 64_000
# Limited-range YUV black (rgb 0, 0, 0).
BLACK_YUV = (16, 128, 128)


class AudioBuffer:
    """One track's audio as 48 kHz s16 mono PCM, with a small jitter buffer.

    Packets arrive in bursts while the mixer takes 20 ms at a steady pace: the buffer waits for
    PREFILL before it plays, starts over after running dry, and sheds the oldest audio when the
    sender's clock runs ahead of ours, so the lag stays bounded.
    """

    # A recording can afford the latency (it only shifts lip sync by as much, within what viewers
    # accept), and 100 ms rides out the event loop's stalls while a peer joins without a gap.
    PREFILL = 5 * CHUNK_SAMPLES * BYTES_PER_SAMPLE  # 100 ms
    CEILING = 20 * CHUNK_SAMPLES * BYTES_PER_SAMPLE  # 400 ms
    SHED_TO = 8 * CHUNK_SAMPLES * BYTES_PER_SAMPLE  # 160 ms

    def __init__(self) -> None:
        self._pcm = bytearray()
        self._playing = False
        self._resampler: av.AudioResampler | None = None

    def push(self, frame: AudioFrame) -> None:
        """Append a received frame, converted to the mixer's format."""
        if self._resampler is None:
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        try:
            converted = self._resampler.resample(frame)
        except ValueError:
            # The track changed its format mid-stream: a fresh resampler takes the new one.
            log.warning("audio format changed mid-stream; resetting the resampler", exc_info=True)
            self._resampler = None
            return
        for out in converted:
            self._pcm += bytes(out.planes[0])[: out.samples * BYTES_PER_SAMPLE]
        if len(self._pcm) > self.CEILING:
            del self._pcm[: len(self._pcm) - self.SHED_TO]

    def take(self, nbytes: int) -> bytes | None:
        """The next `nbytes` of PCM, or None while there is nothing to play."""
        if not self._playing:
            if len(self._pcm) < self.PREFILL:
                return None
            self._playing = True
        if len(self._pcm) < nbytes:
            self._playing = False
            chunk = bytes(self._pcm) + bytes(nbytes - len(self._pcm))
            self._pcm.clear()
            return chunk
        chunk = bytes(self._pcm[:nbytes])
        del self._pcm[:nbytes]
        return chunk


def mix_pcm(chunks: list[bytes | None], nbytes: int) -> bytes:
    """Sum s16 chunks of equal length, clipping; silence when none has audio."""
    present = [chunk for chunk in chunks if chunk is not None]
    if not present:
        return bytes(nbytes)
    if len(present) == 1:
        return present[0]
    total = array("h", present[0])
    for chunk in present[1:]:
        sums = [a + b for a, b in zip(total, array("h", chunk), strict=True)]
        try:
            total = array("h", sums)
        except OverflowError:
            total = array("h", [-32768 if s < -32768 else 32767 if s > 32767 else s for s in sums])
    return total.tobytes()


class Compositor:
    """Side-by-side tiles: each source's latest frame scaled into its tile, black elsewhere."""

    def __init__(self, width: int, height: int, tiles: int = 2) -> None:
        self.width, self.height = width, height
        self.tile_width = (width // tiles) & ~1
        self.tile_height = height & ~1
        blank = VideoFrame(width, height, "yuv420p")
        self._strides = [plane.line_size for plane in blank.planes]
        self._black = [bytes([value]) * plane.buffer_size for value, plane in zip(BLACK_YUV, blank.planes, strict=True)]
        self._scaled: list[tuple[VideoFrame, VideoFrame] | None] = [None] * tiles
        self._last: tuple[tuple[VideoFrame | None, ...], list[bytes]] | None = None

    def compose(self, sources: list[VideoFrame | None]) -> VideoFrame:
        """A new composite frame of `sources` (one per tile, None for a blank tile)."""
        key = tuple(sources)
        if self._last is not None and all(a is b for a, b in zip(self._last[0], key, strict=True)):
            planes = self._last[1]
        else:
            buffers = [bytearray(black) for black in self._black]
            for slot, source in enumerate(sources):
                if source is not None:
                    self._paste(buffers, slot, self._scale(slot, source))
            planes = [bytes(buffer) for buffer in buffers]
            self._last = (key, planes)
        frame = VideoFrame(self.width, self.height, "yuv420p")
        for plane, data in zip(frame.planes, planes, strict=True):
            plane.update(data)
        return frame

    def _scale(self, slot: int, source: VideoFrame) -> VideoFrame:
        cached = self._scaled[slot]
        if cached is not None and cached[0] is source:
            return cached[1]
        ratio = min(self.tile_width / source.width, self.tile_height / source.height)
        width = max(2, int(source.width * ratio) & ~1)
        height = max(2, int(source.height * ratio) & ~1)
        scaled = source.reformat(width=width, height=height, format="yuv420p")
        self._scaled[slot] = (source, scaled)
        return scaled

    def _paste(self, buffers: list[bytearray], slot: int, tile: VideoFrame) -> None:
        # Even offsets keep the half-size chroma planes aligned with the luma.
        x = slot * self.tile_width + ((self.tile_width - tile.width) // 2 & ~1)
        y = (self.tile_height - tile.height) // 2 & ~1
        for index, (buffer, plane) in enumerate(zip(buffers, tile.planes, strict=True)):
            shift = 0 if index == 0 else 1
            width, rows = tile.width >> shift, tile.height >> shift
            left, top, stride = x >> shift, y >> shift, self._strides[index]
            source, line = memoryview(plane), plane.line_size
            for row in range(rows):
                start = (top + row) * stride + left
                buffer[start : start + width] = source[row * line : row * line + width]


class WebmWriter:
    """The output file, encoded and muxed in a thread of its own so the event loop stays free.

    Video items carry the tile sources; composing, VP8 encoding and muxing all happen here.
    """

    # Behind by this many seconds of video (on a starved CPU), video frames are skipped rather
    # than queueing decoded frames without end; audio is always kept so the timeline stays whole.
    BACKLOG_SECONDS = 2

    def __init__(self, path: Path, *, size: tuple[int, int], fps: int) -> None:
        self.path = path
        self._fps = fps
        self._compositor = Compositor(*size)
        self._container = av.open(str(path), mode="w", format="webm")
        self._video = self._container.add_stream(
            "libvpx",
            rate=fps,
            options={"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "auto-alt-ref": "0"},
        )
        self._video.width, self._video.height = size
        self._video.pix_fmt = "yuv420p"
        self._video.bit_rate = VIDEO_BIT_RATE
        self._video.codec_context.gop_size = 2 * fps  # a keyframe every 2 s keeps the file seekable
        self._audio = self._container.add_stream("libopus", rate=SAMPLE_RATE, layout="mono")
        self._audio.format = "s16"
        self._audio.bit_rate = AUDIO_BIT_RATE
        self._queue: queue.Queue[tuple | None] = queue.Queue()
        self._skipped = 0
        # Each written by one thread only (put_video, the writer), so no lock is needed.
        self._videos_queued = self._videos_written = 0
        self._thread = threading.Thread(target=self._run, name=f"recorder-writer-{path.name}", daemon=True)
        self._thread.start()

    def put_video(self, pts: int, sources: list[VideoFrame | None]) -> None:
        """Queue the composite of `sources` as the video frame at `pts` (in 1/fps)."""
        if self._videos_queued - self._videos_written > self.BACKLOG_SECONDS * self._fps:
            self._skipped += 1
            if self._skipped % 100 == 1:
                log.warning("recorder writer is behind; %d video frames skipped so far", self._skipped)
            return
        self._videos_queued += 1
        self._queue.put(("video", pts, sources))

    def put_audio(self, pts: int, pcm: bytes) -> None:
        """Queue s16 mono PCM as the audio starting at sample `pts`."""
        self._queue.put(("audio", pts, pcm))

    def close(self, timeout: float = 30) -> None:
        """Flush the encoders and finish the file (writes its duration)."""
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("recorder writer did not finish within %s s: %s may be incomplete", timeout, self.path)

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                try:
                    self._write(*item)
                except Exception:
                    log.exception("recorder could not write a %s frame", item[0])
        finally:
            self._finish()

    def _write(self, kind: str, pts: int, payload) -> None:
        if kind == "video":
            self._videos_written += 1
            frame = self._compositor.compose(payload)
            frame.pts, frame.time_base = pts, Fraction(1, self._fps)
            self._container.mux(self._video.encode(frame))
        else:
            frame = AudioFrame(format="s16", layout="mono", samples=len(payload) // BYTES_PER_SAMPLE)
            frame.planes[0].update(payload)
            frame.sample_rate = SAMPLE_RATE
            frame.pts, frame.time_base = pts, Fraction(1, SAMPLE_RATE)
            self._container.mux(self._audio.encode(frame))

    def _finish(self) -> None:
        for stream in (self._video, self._audio):
            try:
                self._container.mux(stream.encode(None))
            except Exception:
                log.exception("recorder could not flush the %s encoder", stream.type)
        try:
            self._container.close()
        except Exception:
            log.exception("recorder could not close %s", self.path)
