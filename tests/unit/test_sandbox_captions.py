"""Offline captions: what PocketSphinx hears in a recording's audio, and the WebVTT file they make.

The speech is espeak-ng's, wrapped in a WebM as the sandbox's recorder writes one. Recognition of
a synthetic voice is rough; the bars below are what it reaches with room to spare (measured: the
English sentence gives "you hear me think microphone turns off", the German one gives nothing).
"""

from __future__ import annotations

import re

import pytest

from kendama.integrations.video.sandbox import recording_media
from kendama.integrations.video.sandbox.captions import NO_SPEECH, Cue, transcribe, webvtt
from tests.support import speech

pytestmark = pytest.mark.skipif(speech.ESPEAK is None, reason="espeak-ng is not installed")

LEAD_SILENCE = 2.0
ENGLISH = "Can you hear me? I think your microphone is turned off."
CONTENT_WORDS = {"hear", "think", "microphone", "turned", "off"}
GERMAN = "Heute lernen wir den großen Becher. Halte den Griff fest und ziehe die Kugel gerade nach oben."


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    folder = tmp_path_factory.mktemp("english")
    wav = speech.spoken_wav(folder / "english.wav", ENGLISH, "en-us+f2", lead_silence=LEAD_SILENCE, tail_silence=1)
    return speech.webm_from_wav(wav, folder / "english.webm")


@pytest.fixture(scope="module")
def english_cues(english):
    return transcribe(english)


def _words(cues: list[Cue]) -> list[str]:
    return " ".join(cue.text for cue in cues).split()


def test_english_speech_is_captioned_with_its_words(english_cues):
    assert len(CONTENT_WORDS & set(_words(english_cues))) >= 3, english_cues


def test_the_cues_are_timed_to_the_speech(english, english_cues):
    assert english_cues[0].start == pytest.approx(LEAD_SILENCE, abs=0.5)
    duration = recording_media.duration_seconds(english)
    assert all(0 <= cue.start < cue.end <= duration for cue in english_cues)
    assert [cue.start for cue in english_cues] == sorted(cue.start for cue in english_cues)


def test_a_cue_is_short(english_cues):
    assert all(cue.end - cue.start <= 6.5 and len(cue.text.split()) <= 12 for cue in english_cues)


def test_no_filler_or_pronunciation_marker_is_captioned(english_cues):
    assert not [word for word in _words(english_cues) if re.search(r"[<>\[\]()+]", word)]


def test_silence_gives_the_single_no_speech_cue(tmp_path):
    media = speech.webm_from_wav(speech.silent_wav(tmp_path / "silence.wav", 4), tmp_path / "silence.webm")
    assert transcribe(media) == []
    vtt = webvtt([], recording_media.duration_seconds(media))
    assert re.fullmatch(rf"WEBVTT\n\n1\n00:00:00\.000 --> 00:00:04\.0\d\d\n{re.escape(NO_SPEECH)}\n", vtt), vtt


def test_white_noise_gives_no_words(tmp_path):
    media = speech.webm_from_wav(speech.noise_wav(tmp_path / "noise.wav", 3), tmp_path / "noise.webm")
    assert transcribe(media) == []


def test_german_speech_invents_no_english(tmp_path):
    wav = speech.spoken_wav(tmp_path / "german.wav", GERMAN, "de", lead_silence=1)
    words = _words(transcribe(speech.webm_from_wav(wav, tmp_path / "german.webm")))
    # At most a stray short function word ("the" is what German leaks elsewhere), never a sentence.
    assert len(words) <= 3 and all(len(word) <= 3 for word in words), words


def test_a_file_without_audio_has_no_cues(tmp_path):
    media = speech.webm_without_audio(tmp_path / "video.webm", 2)
    assert recording_media.streams(media) == {"video"}
    assert transcribe(media) == []


def test_webvtt_numbers_and_times_its_cues_and_escapes_their_text():
    vtt = webvtt([Cue(1.5, 3.25, "cup & ball <ken>"), Cue(3661.0, 3662.004, "a --> b\nc")], 4000)
    assert vtt == (
        "WEBVTT\n\n"
        "1\n00:00:01.500 --> 00:00:03.250\ncup &amp; ball &lt;ken&gt;\n\n"
        "2\n01:01:01.000 --> 01:01:02.004\na --&gt; b c\n"
    )


def test_the_no_speech_cue_lasts_at_least_a_second():
    vtt = webvtt([], 0.2)
    assert re.search(r"^00:00:00\.000 --> 00:00:01\.000$", vtt, re.MULTILINE)
    assert vtt.count(" --> ") == 1
