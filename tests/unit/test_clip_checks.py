"""Uploaded practice clips are checked by decoding them: real videos made here with PyAV, good and bad."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from kendama.services.coaching import clip_checks
from kendama.services.coaching.clip_checks import NO_VIDEO, NOT_A_VIDEO, CheckedClip, check_clip, receive_upload
from kendama.services.errors import InvalidInput

from ..support.videos import make_audio, make_video


def refusal(path: Path, **limits) -> str:
    with pytest.raises(InvalidInput) as caught:
        check_clip(path, **limits)
    assert set(caught.value.fields) == {"file"}
    return caught.value.fields["file"]


@pytest.fixture(scope="module")
def good_mp4(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("clips") / "good.mp4", codec="libx264")


def test_a_two_second_mp4_passes_with_its_size_and_duration(good_mp4):
    clip = check_clip(good_mp4)
    assert clip == CheckedClip(clip.duration_seconds, 64, 64, "video/mp4", "mp4")
    assert clip.duration_seconds == pytest.approx(2, abs=0.2)


@pytest.mark.parametrize("codec", ["libvpx", "libvpx-vp9"])
def test_a_webm_passes(tmp_path, codec):
    clip = check_clip(make_video(tmp_path / "good.webm", codec=codec))
    assert (clip.content_type, clip.extension, clip.width, clip.height) == ("video/webm", "webm", 64, 64)
    assert clip.duration_seconds == pytest.approx(2, abs=0.2)


def test_a_mov_passes_as_quicktime(tmp_path):
    clip = check_clip(make_video(tmp_path / "good.mov", codec="mpeg4"))
    assert (clip.content_type, clip.extension) == ("video/quicktime", "mov")
    assert clip.duration_seconds == pytest.approx(2, abs=0.2)


def test_a_clip_over_the_limit_is_refused_as_too_long(tmp_path):
    long_clip = make_video(tmp_path / "long.mp4", codec="libx264", seconds=61, fps=1)
    assert refusal(long_clip) == "The clip is 61 seconds long; keep it to 60 seconds or less."
    assert check_clip(long_clip, max_seconds=90).duration_seconds == pytest.approx(61, abs=1)


def test_a_matroska_file_is_not_taken_for_webm(tmp_path):
    assert refusal(make_video(tmp_path / "clip.mkv", codec="libx264")) == NOT_A_VIDEO


def test_a_truncated_mp4_is_refused(tmp_path, good_mp4):
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(good_mp4.read_bytes()[: good_mp4.stat().st_size // 2])
    assert refusal(truncated) == NOT_A_VIDEO


def test_an_mp4_with_its_index_overwritten_is_refused(tmp_path, good_mp4):
    """The `moov` box (the index of the frames) is at the end; garbage over it leaves nothing to decode."""
    data = bytearray(good_mp4.read_bytes())
    index = data.rindex(b"moov")
    data[index - 4 :] = os.urandom(len(data) - index + 4)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data))
    assert refusal(broken) == NOT_A_VIDEO


def test_random_bytes_are_refused(tmp_path):
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(os.urandom(50_000))
    assert refusal(noise) == NOT_A_VIDEO


def test_random_bytes_behind_a_video_signature_are_refused(tmp_path):
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(50_000))
    assert refusal(noise) == NOT_A_VIDEO


@pytest.mark.parametrize(
    "text",
    [
        "Not a video, just some notes about my spike.\n",
        "#EXTM3U\n#EXTINF:10,\nhttp://169.254.169.254/latest/meta-data\n",
    ],
)
def test_a_text_file_named_mp4_is_refused(tmp_path, text):
    """A playlist among them: FFmpeg, left to guess the format, would fetch the address in it."""
    fake = tmp_path / "clip.mp4"
    fake.write_text(text)
    assert refusal(fake) == NOT_A_VIDEO


def test_an_empty_file_is_refused(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert refusal(empty) == NOT_A_VIDEO


def test_an_audio_only_file_is_refused_for_having_no_video(tmp_path):
    assert refusal(make_audio(tmp_path / "song.mp4")) == NO_VIDEO


def test_a_file_over_the_size_limit_is_refused_before_decoding(good_mp4, monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded a file already known to be too big")

    monkeypatch.setattr(clip_checks.av, "open", no_decoding)
    assert refusal(good_mp4, max_bytes=1000) == "The clip is over 1 KB; upload a shorter or smaller one."
    assert clip_checks.too_big_message(100 * 1024 * 1024) == "The clip is over 100 MB; upload a shorter or smaller one."


class EndlessUpload(io.RawIOBase):
    """An upload that never ends, counting what was read from it."""

    def __init__(self):
        self.bytes_read = 0

    def read(self, size=-1):
        assert size > 0, "asked for the whole stream at once"
        self.bytes_read += size
        return b"\0" * size


def test_receive_upload_copies_the_stream_to_a_temp_file(tmp_path):
    path = receive_upload(io.BytesIO(b"x" * 3_000_000), tmp_path, max_bytes=5_000_000)
    assert path.parent == tmp_path
    assert path.read_bytes() == b"x" * 3_000_000


def test_receive_upload_stops_as_soon_as_the_upload_is_over_the_limit(tmp_path):
    upload = EndlessUpload()
    with pytest.raises(InvalidInput) as caught:
        receive_upload(upload, tmp_path, max_bytes=3 * 1024 * 1024)
    assert caught.value.fields == {"file": "The clip is over 3 MB; upload a shorter or smaller one."}
    assert upload.bytes_read <= 4 * 1024 * 1024  # one chunk past the limit, no more
    assert list(tmp_path.iterdir()) == []  # the partial file is gone
