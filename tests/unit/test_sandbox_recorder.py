"""The sandbox's recorder, end to end over real WebRTC on loopback.

Two aiortc client peers (their own event loop, in a thread) stand in for the fan's and the
player's browsers: solid red and solid green cameras, 440 Hz and 880 Hz tones. The file is then
decoded with PyAV and checked by pixel colours and tone power (Goertzel, no numpy).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from array import array
from fractions import Fraction

import av
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import AudioFrame, VideoFrame

from kendama.integrations.video.sandbox.recorder import Recorder, RecorderFull, RecorderNotRunning

RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)
RATE = 48000


class SolidColourTrack(VideoStreamTrack):
    """A camera that shows one colour, 640x480 at 30 fps."""

    def __init__(self, rgb: tuple[int, int, int], width: int = 640, height: int = 480) -> None:
        super().__init__()
        picture = VideoFrame(width, height, "rgb24")
        picture.planes[0].update(bytes(rgb) * (picture.planes[0].buffer_size // 3))
        self._planes = [bytes(plane) for plane in picture.reformat(format="yuv420p").planes]
        self._size = (width, height)

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(*self._size, "yuv420p")
        for plane, data in zip(frame.planes, self._planes, strict=True):
            plane.update(data)
        frame.pts, frame.time_base = pts, time_base
        return frame


class ToneTrack(AudioStreamTrack):
    """A microphone that plays a sine tone, 48 kHz mono in 20 ms frames."""

    def __init__(self, frequency: int, amplitude: int = 8000) -> None:
        super().__init__()
        # One second holds a whole number of cycles of an integer frequency: it loops seamlessly.
        self._second = array("h", (int(amplitude * math.sin(2 * math.pi * frequency * n / RATE)) for n in range(RATE)))
        self._samples = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        if self._start is None:
            self._start = time.time()
        else:
            self._samples += 960
            await asyncio.sleep(self._start + self._samples / RATE - time.time())
        offset = self._samples % RATE
        chunk = (self._second[offset:] + self._second[:offset])[:960]
        frame = AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(chunk.tobytes())
        frame.pts, frame.sample_rate, frame.time_base = self._samples, RATE, Fraction(1, RATE)
        return frame


class ClientPeers:
    """Browser stand-ins: peer connections on an event loop of their own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.connections: dict[str, RTCPeerConnection] = {}

    def run(self, coroutine, timeout: float = 20):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def offer(self, peer_id: str, *tracks) -> str:
        """A complete sendonly offer from a new connection for `peer_id`."""

        async def make() -> str:
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            self.connections[peer_id] = pc
            for track in tracks:
                pc.addTransceiver(track, direction="sendonly")
            await pc.setLocalDescription(await pc.createOffer())
            return pc.localDescription.sdp

        return self.run(make())

    def connect(self, recorder: Recorder, peer_id: str, *tracks) -> None:
        """Offer, take the recorder's answer, and wait until the connection is up."""
        answer = recorder.answer(peer_id, self.offer(peer_id, *tracks))
        pc = self.connections[peer_id]

        async def finish() -> None:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            for _ in range(300):
                if pc.connectionState == "connected":
                    return
                await asyncio.sleep(0.05)
            raise AssertionError(f"{peer_id} never connected: {pc.connectionState}")

        self.run(finish())

    def close(self) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(pc.close() for pc in self.connections.values()), return_exceptions=True)

        self.run(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


@pytest.fixture
def clients():
    peers = ClientPeers()
    yield peers
    peers.close()


def decode(path):
    """(duration in s, stream kinds, [(t, rgb24 frame)], 48 kHz mono samples)."""
    with av.open(str(path)) as container:
        duration = container.duration / 1_000_000
        kinds = sorted(stream.type for stream in container.streams)
        frames, samples = [], array("h")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        for frame in container.decode(*container.streams):
            if isinstance(frame, VideoFrame):
                frames.append((float(frame.pts * frame.time_base), frame.reformat(format="rgb24")))
            else:
                for out in resampler.resample(frame):
                    samples.frombytes(bytes(out.planes[0])[: out.samples * 2])
    return duration, kinds, frames, samples


def pixel(frame: VideoFrame, x: int, y: int) -> tuple[int, int, int]:
    plane = frame.planes[0]
    start = y * plane.line_size + 3 * x
    return tuple(bytes(plane)[start : start + 3])


def near(rgb, target, tolerance: int = 70) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, target, strict=True))


def frames_between(frames, start: float, end: float):
    chosen = [frame for t, frame in frames if start <= t <= end]
    assert chosen, f"no video frame between {start:.2f} and {end:.2f} s"
    return chosen


def window(samples: array, start: float, end: float) -> array:
    return samples[int(start * RATE) : int(end * RATE)]


def rms(samples: array) -> float:
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


def tone_power(samples: array, frequency: float) -> float:
    """Goertzel: the power at `frequency`, relative to the window's length."""
    coefficient = 2 * math.cos(2 * math.pi * frequency / RATE)
    previous = before = 0.0
    for sample in samples:
        previous, before = sample + coefficient * previous - before, previous
    return (previous * previous + before * before - coefficient * previous * before) / len(samples) ** 2


# Its file must last as long as the call did (within 10 %): real-time encoding that a loaded
# machine slows (twice 7.47 s for 8.59 s beside the CalDAV and browser tests), so it runs alone.
@pytest.mark.solo
def test_two_peers_tiled_and_mixed_one_drops_and_returns(tmp_path, clients):
    path = tmp_path / "call.webm"
    recorder = Recorder(path)
    recorder.start()
    began = time.monotonic()
    try:
        clients.connect(recorder, "fan", SolidColourTrack(RED), ToneTrack(440))
        clients.connect(recorder, "player", SolidColourTrack(GREEN), ToneTrack(880))
        assert sorted(recorder.peers) == ["fan", "player"]
        with pytest.raises(RecorderFull):
            recorder.answer("intruder", clients.offer("intruder", ToneTrack(660)))

        time.sleep(1.0)  # the first frames and the audio's jitter buffer settle
        both_from = time.monotonic() - began
        time.sleep(1.2)
        dropped_at = time.monotonic() - began
        recorder.drop("player")
        assert recorder.peers == ["fan"]
        time.sleep(1.5)
        # The player comes back (it takes its old tile) and the fan reloads (a new offer replaces
        # its connection); each with another camera, to tell the new media from the old.
        returned_at = time.monotonic() - began
        clients.connect(recorder, "player", SolidColourTrack(BLUE), ToneTrack(880))
        clients.connect(recorder, "fan", SolidColourTrack(YELLOW), ToneTrack(440))
        assert sorted(recorder.peers) == ["fan", "player"]
        time.sleep(1.5)
    finally:
        span = time.monotonic() - began  # the file ends where stop() is called, not where it returns
        seconds = recorder.stop()
    assert recorder.stop() == seconds

    duration, kinds, frames, samples = decode(path)
    assert kinds == ["audio", "video"]
    assert abs(duration - span) <= 0.1 * span, (duration, span)
    assert abs(duration - seconds) <= 0.3, (duration, seconds)
    assert (frames[0][1].width, frames[0][1].height) == (1280, 360)

    for frame in frames_between(frames, both_from + 0.2, dropped_at - 0.2):
        assert near(pixel(frame, 320, 180), RED), pixel(frame, 320, 180)
        assert near(pixel(frame, 960, 180), GREEN), pixel(frame, 960, 180)
        assert near(pixel(frame, 20, 180), (0, 0, 0))  # 640x480 in a 640x360 tile: bars at the sides
    for frame in frames_between(frames, dropped_at + 0.6, returned_at - 0.1):
        assert near(pixel(frame, 320, 180), RED)
        assert near(pixel(frame, 960, 180), (0, 0, 0)), pixel(frame, 960, 180)
    for frame in frames_between(frames, seconds - 0.5, seconds - 0.1):
        assert near(pixel(frame, 320, 180), YELLOW), pixel(frame, 320, 180)
        assert near(pixel(frame, 960, 180), BLUE), pixel(frame, 960, 180)

    together = window(samples, both_from + 0.2, dropped_at - 0.2)
    assert rms(together) > 1500
    noise = tone_power(together, 1234)
    assert tone_power(together, 440) > 100 * noise
    assert tone_power(together, 880) > 100 * noise
    alone = window(samples, dropped_at + 0.6, returned_at - 0.1)
    assert tone_power(alone, 440) > 100 * tone_power(alone, 880)


def test_no_peers_gives_black_and_silence_for_the_span(tmp_path):
    path = tmp_path / "empty.webm"
    recorder = Recorder(path, fps=10, size=(640, 180))
    assert recorder.peers == []
    recorder.start()
    began = time.monotonic()
    time.sleep(2.0)
    span = time.monotonic() - began  # a loaded machine may take half a second to finish the file
    seconds = recorder.stop()
    with pytest.raises(RecorderNotRunning):
        recorder.answer("late", "v=0")

    duration, kinds, frames, samples = decode(path)
    assert kinds == ["audio", "video"]
    assert abs(duration - span) <= 0.1 * span, (duration, span)
    assert abs(duration - seconds) <= 0.3
    assert len(frames) >= 15
    assert all(near(pixel(frame, x, 90), (0, 0, 0), 20) for _, frame in frames for x in (100, 500))
    assert len(samples) >= 1.8 * RATE
    assert rms(samples) < 50
