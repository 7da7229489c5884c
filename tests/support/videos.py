"""Real small videos (and an audio-only file) made with PyAV, for the clip upload tests."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av


def make_video(path: Path, *, codec: str, seconds: float = 2, fps: int = 10, size: int = 64) -> Path:
    """A `seconds`-long clip of changing grey frames, in the container `path`'s suffix names."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame(size, size, "gray")
            frame.planes[0].update(bytes([index * 20 % 256]) * frame.planes[0].buffer_size)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def make_audio(path: Path) -> Path:
    """One second of silence in AAC, in an MP4 (an .m4a by another name)."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=44100)
        samples = 1024
        for index in range(44):
            frame = av.AudioFrame(format="fltp", layout="mono", samples=samples)
            frame.planes[0].update(bytes(frame.planes[0].buffer_size))
            frame.sample_rate = 44100
            frame.pts = index * samples
            frame.time_base = Fraction(1, 44100)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
