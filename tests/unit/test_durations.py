"""How long a recording is: read from its media file (the sandbox), written one way for people."""

from __future__ import annotations

import pytest

from kendama.integrations.video.sandbox import recording_media
from kendama.web.template_helpers import NBSP, duration


@pytest.mark.parametrize(
    ("seconds", "written"),  # "~" stands for the no-break space that keeps a number with its unit
    [(None, ""), (0, "0~s"), (4, "4~s"), (59, "59~s"), (60, "1~min"), (750, "12~min 30~s"), (3725, "1~h 2~min 5~s")],
)
def test_a_duration_is_written_in_hours_minutes_and_seconds(seconds, written):
    assert duration(seconds) == written.replace("~", NBSP)


def test_the_sandbox_reads_the_length_of_the_webm_file_it_serves():
    # The sample is 4 seconds of video (media/README.md); WebM states it in Segment > Info > Duration.
    assert recording_media.duration_seconds(recording_media.SAMPLE) == pytest.approx(4.0, abs=0.05)


def test_a_file_that_is_not_webm_is_refused(tmp_path):
    other = tmp_path / "not.webm"
    other.write_bytes(b"RIFF0000WAVEfmt ")
    with pytest.raises(ValueError):
        recording_media.duration_seconds(other)
