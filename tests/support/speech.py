"""Spoken test media: espeak-ng speaks a sentence to a WAV, and PyAV wraps it in a WebM like a recording.

The WAV keeps espeak-ng's own rate (22 050 Hz, mono, 16-bit PCM): Chromium's fake microphone
(`--use-file-for-fake-audio-capture`) wants 16-bit PCM WAV and converts the rate to its own.
The WebM is what the sandbox's recorder writes: VP8 video and Opus audio at 48 kHz.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import wave
from array import array
from fractions import Fraction
from pathlib import Path

import av

ESPEAK = shutil.which("espeak-ng")

# A calm teacher's pace: at espeak-ng's default 175 words a minute PocketSphinx hears far less.
_WORDS_PER_MINUTE = 130
_VIDEO_RATE = 10  # frames per second of the solid-colour picture: a real video stream, cheap to encode
_VIDEO_SIZE = (64, 48)
_OPUS_RATE = 48_000


def spoken_wav(
    path: Path, sentence: str, voice: str = "en-us", lead_silence: float = 0.0, tail_silence: float = 0.0
) -> Path:
    """A 16-bit mono WAV at `path` of espeak-ng saying `sentence`, with silence before and after it."""
    if ESPEAK is None:
        raise RuntimeError("espeak-ng is not installed")
    with tempfile.TemporaryDirectory() as scratch:
        spoken = Path(scratch) / "spoken.wav"
        subprocess.run(
            [ESPEAK, "-v", voice, "-s", str(_WORDS_PER_MINUTE), "-w", str(spoken), sentence],
            check=True,
            capture_output=True,
        )
        with wave.open(str(spoken), "rb") as source:
            params = source.getparams()
            speech = source.readframes(source.getnframes())
    bytes_per_second = params.framerate * params.sampwidth * params.nchannels
    frame_bytes = params.sampwidth * params.nchannels

    def silence(seconds: float) -> bytes:
        return bytes(round(seconds * bytes_per_second) // frame_bytes * frame_bytes)

    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(silence(lead_silence) + speech + silence(tail_silence))
    return path


def silent_wav(path: Path, seconds: float, rate: int = 22_050) -> Path:
    """A 16-bit mono WAV of digital silence."""
    return _write_wav(path, bytes(2 * round(seconds * rate)), rate)


def noise_wav(path: Path, seconds: float, rate: int = 22_050, level: float = 0.3, seed: int = 1) -> Path:
    """A 16-bit mono WAV of white noise at `level` of full scale."""
    chance = random.Random(seed)
    peak = round(level * 32767)
    return _write_wav(
        path, array("h", (chance.randint(-peak, peak) for _ in range(round(seconds * rate)))).tobytes(), rate
    )


def webm_from_wav(wav: Path, out: Path, video: bool = True) -> Path:
    """A WebM at `out` with the WAV as Opus audio at 48 kHz and, if `video`, a solid VP8 picture as long."""
    with wave.open(str(wav), "rb") as source:
        rate, channels = source.getframerate(), source.getnchannels()
        pcm = source.readframes(source.getnframes())
    seconds = len(pcm) / 2 / channels / rate
    with av.open(str(out), "w", format="webm") as container:
        audio = container.add_stream("libopus", rate=_OPUS_RATE, layout="mono")
        picture = _add_video(container) if video else None
        _encode_audio(container, audio, pcm, rate, channels)
        if picture is not None:
            _encode_video(container, picture, seconds)
    return out


def webm_without_audio(out: Path, seconds: float, live: bool = False) -> Path:
    """A WebM with only a VP8 video stream; `live`, it states no duration (as when streamed out)."""
    with av.open(str(out), "w", format="webm", options={"live": "1"} if live else {}) as container:
        _encode_video(container, _add_video(container), seconds)
    return out


def _write_wav(path: Path, pcm: bytes, rate: int) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return path


def _add_video(container: av.container.OutputContainer) -> av.VideoStream:
    stream = container.add_stream("libvpx", rate=_VIDEO_RATE)
    stream.width, stream.height = _VIDEO_SIZE
    stream.pix_fmt = "yuv420p"
    return stream


def _encode_audio(container, stream, pcm: bytes, rate: int, channels: int) -> None:
    layout = "mono" if channels == 1 else "stereo"
    resampler = av.AudioResampler(format="s16", layout="mono", rate=_OPUS_RATE)
    frame_bytes = 2 * channels
    chunk = rate // 10  # feed a tenth of a second at a time, as a recorder would
    for start in range(0, len(pcm) // frame_bytes, chunk):
        piece = pcm[start * frame_bytes : (start + chunk) * frame_bytes]
        frame = av.AudioFrame(format="s16", layout=layout, samples=len(piece) // frame_bytes)
        frame.planes[0].update(piece)
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        for resampled in resampler.resample(frame):
            container.mux(stream.encode(resampled))
    for resampled in resampler.resample(None):
        container.mux(stream.encode(resampled))
    container.mux(stream.encode(None))


def _encode_video(container, stream, seconds: float) -> None:
    width, height = _VIDEO_SIZE
    for index in range(max(1, round(seconds * _VIDEO_RATE))):
        frame = av.VideoFrame(width, height, "yuv420p")
        for plane, level in zip(frame.planes, (110, 160, 90), strict=True):  # one flat colour
            plane.update(bytes([level]) * plane.buffer_size)
        frame.pts, frame.time_base = index, Fraction(1, _VIDEO_RATE)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
