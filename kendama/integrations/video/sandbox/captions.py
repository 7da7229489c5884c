"""Offline captions for a recording: PocketSphinx's bundled en-US model hears its audio track.

The audio is streamed: PyAV decodes and resamples it piece by piece, PocketSphinx's endpointer
cuts it into utterances, and each utterance is decoded on its own, so a long lesson never sits in
memory whole. A word is captioned only when the recogniser is confident of it (see
MIN_WORD_POSTERIOR); what it cannot recognise gives no caption rather than invented text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
from pocketsphinx import Decoder, Endpointer

SAMPLE_RATE = 16_000  # what the en-US acoustic model was trained on
_BYTES_PER_SAMPLE = 2  # 16-bit mono
_SECONDS_PER_FRAME = 0.01  # PocketSphinx's word segments count 10 ms frames

MAX_CUE_SECONDS = 6.0
MAX_CUE_WORDS = 12
MAX_PAUSE_SECONDS = 1.0  # a longer pause between words starts a new cue
# Each utterance is decoded whole (its cepstral mean normalised over all of it, which recognises
# far better than the live estimate); this bounds the audio held for one.
MAX_UTTERANCE_SECONDS = 30.0

# A word's posterior probability in the decoder's lattice, below which it is not captioned.
# Measured on espeak-ng at 130 words a minute (tests/support/speech.py), eight English sentences
# (101 words, voice en-us+f2) against six German ones: at 0.8 English kept 33 words and German 14;
# at 0.9, 24 and 9 (German only "the", "are", "da"); at 0.95, 19 and 8. White noise and silence
# gave no word at any of them. 0.9 cuts German's leak by a third for a quarter of English's words,
# and leaves it only short function words; higher buys little. The posterior separates the two
# languages no further (a synthetic voice is hard for the acoustic model either way).
MIN_WORD_POSTERIOR = 0.9

NO_SPEECH = "No speech could be recognised in this recording."

_NOT_WORDS = re.compile(r"<.*>|\[.*\]|\+\+.*\+\+")  # <s>, </s>, <sil>, [NOISE], ++BREATH++
_PRONUNCIATION = re.compile(r"\(\d+\)$")  # "the(2)": the second pronunciation of "the"


@dataclass(frozen=True)
class Cue:
    """Text shown from `start` to `end` seconds into the recording."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class _Word:
    start: float
    end: float
    text: str


def transcribe(media: Path) -> list[Cue]:
    """The cues of what is said in the media file's first audio stream; [] when nothing is recognised."""
    with av.open(str(media)) as container:
        if not container.streams.audio:
            return []
        decoder = Decoder(loglevel="FATAL", logfn=os.devnull)
        utterances = _utterances(_pcm(container))
        return _cues(word for start, speech in utterances for word in _words(decoder, start, speech))


def webvtt(cues: list[Cue], duration: float) -> str:
    """A WebVTT file of the cues; one saying that no speech was recognised when there are none."""
    shown = cues or [Cue(0.0, max(duration, 1.0), NO_SPEECH)]
    blocks = (
        f"{number}\n{_timestamp(cue.start)} --> {_timestamp(cue.end)}\n{_cue_text(cue.text)}"
        for number, cue in enumerate(shown, start=1)
    )
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def _pcm(container: av.container.InputContainer) -> Iterator[bytes]:
    """The first audio stream as 16 kHz mono 16-bit PCM, one decoded frame at a time."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    for frame in container.decode(container.streams.audio[0]):
        yield from _samples(resampler.resample(frame))
    yield from _samples(resampler.resample(None))


def _samples(frames: Iterable[av.AudioFrame]) -> Iterator[bytes]:
    for frame in frames:
        # A plane's buffer may be padded beyond its samples.
        yield bytes(frame.planes[0])[: frame.samples * _BYTES_PER_SAMPLE]


def _utterances(pcm: Iterable[bytes]) -> Iterator[tuple[float, bytes]]:
    """(start in seconds, audio) of each stretch of speech the endpointer finds."""
    endpointer = Endpointer(sample_rate=SAMPLE_RATE)
    limit = round(MAX_UTTERANCE_SECONDS * SAMPLE_RATE) * _BYTES_PER_SAMPLE
    start, speech, pending = 0.0, bytearray(), b""
    for chunk in pcm:
        pending += chunk
        while len(pending) >= endpointer.frame_bytes:
            frame, pending = pending[: endpointer.frame_bytes], pending[endpointer.frame_bytes :]
            was_speaking = endpointer.in_speech
            heard = endpointer.process(frame)
            if heard is None:
                continue
            if not was_speaking:
                start = endpointer.speech_start
            speech += heard
            if not endpointer.in_speech or len(speech) >= limit:
                yield start, bytes(speech)
                start, speech = start + len(speech) / _BYTES_PER_SAMPLE / SAMPLE_RATE, bytearray()
    if endpointer.in_speech:
        # end_stream refuses an empty frame, and takes at most one frame.
        speech += (endpointer.end_stream(pending) if pending else None) or b""
        yield start, bytes(speech)


def _words(decoder: Decoder, start: float, speech: bytes) -> Iterator[_Word]:
    """The words recognised with confidence in one utterance that starts `start` seconds in."""
    decoder.start_utt()
    decoder.process_raw(speech, full_utt=True)
    decoder.end_utt()
    if decoder.hyp() is None:
        return
    decoder.get_prob()  # computes the lattice posteriors that the segments' `prob` then reports
    for segment in decoder.seg():
        text = _spoken(segment.word)
        if text and segment.prob >= MIN_WORD_POSTERIOR:
            yield _Word(
                round(start + segment.start_frame * _SECONDS_PER_FRAME, 3),
                round(start + (segment.end_frame + 1) * _SECONDS_PER_FRAME, 3),  # end_frame is inclusive
                text,
            )


def _spoken(token: str) -> str:
    """The word a decoder token stands for; "" for silences, noises and sentence markers."""
    return "" if _NOT_WORDS.fullmatch(token) else _PRONUNCIATION.sub("", token)


def _cues(words: Iterable[_Word]) -> list[Cue]:
    """Words grouped into cues no longer than MAX_CUE_SECONDS and MAX_CUE_WORDS, split at pauses."""
    cues: list[Cue] = []
    group: list[_Word] = []
    for word in words:
        if group and (
            len(group) == MAX_CUE_WORDS
            or word.end - group[0].start > MAX_CUE_SECONDS
            or word.start - group[-1].end > MAX_PAUSE_SECONDS
        ):
            cues.append(_cue(group))
            group = []
        group.append(word)
    if group:
        cues.append(_cue(group))
    return cues


def _cue(words: list[_Word]) -> Cue:
    return Cue(words[0].start, words[-1].end, " ".join(word.text for word in words))


def _cue_text(text: str) -> str:
    """Text on one line with &, < and > escaped (which also leaves no "-->" in it)."""
    one_line = " ".join(text.split())
    return one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _timestamp(seconds: float) -> str:
    milliseconds = round(max(seconds, 0.0) * 1000)
    minutes, milliseconds = divmod(milliseconds, 60_000)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{milliseconds // 1000:02d}.{milliseconds % 1000:03d}"
