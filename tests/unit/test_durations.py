"""How long a recording is: read from its media file with PyAV, written one way for people."""

from __future__ import annotations

import pytest

from kendama.integrations.video.sandbox import recording_media
from kendama.web.template_helpers import NBSP, duration
from tests.support import speech


@pytest.mark.parametrize(
    ("seconds", "written"),  # "~" stands for the no-break space that keeps a number with its unit
    [(None, ""), (0, "0~s"), (4, "4~s"), (59, "59~s"), (60, "1~min"), (750, "12~min 30~s"), (3725, "1~h 2~min 5~s")],
)
def test_a_duration_is_written_in_hours_minutes_and_seconds(seconds, written):
    assert duration(seconds) == written.replace("~", NBSP)


def test_the_length_of_a_generated_recording_is_read(tmp_path):
    wav = speech.silent_wav(tmp_path / "quiet.wav", 3.5)
    assert recording_media.duration_seconds(speech.webm_from_wav(wav, tmp_path / "quiet.webm")) == pytest.approx(
        3.5, abs=0.1
    )


def test_a_recording_that_states_no_duration_is_measured_by_its_packets(tmp_path):
    live = speech.webm_without_audio(tmp_path / "live.webm", 2.0, live=True)
    assert recording_media.duration_seconds(live) == pytest.approx(2.0, abs=0.1)


def test_the_streams_of_a_recording_are_told_apart(tmp_path):
    wav = speech.silent_wav(tmp_path / "quiet.wav", 1)
    assert recording_media.streams(speech.webm_from_wav(wav, tmp_path / "audio.webm", video=False)) == {"audio"}
    assert recording_media.streams(speech.webm_without_audio(tmp_path / "video.webm", 1)) == {"video"}


def test_a_file_that_is_not_media_is_refused(tmp_path):
    other = tmp_path / "not.webm"
    other.write_bytes(b"RIFF0000WAVEfmt ")
    with pytest.raises(ValueError):
        recording_media.duration_seconds(other)
    with pytest.raises(ValueError):
        recording_media.streams(other)
