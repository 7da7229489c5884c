"""The media file every sandbox recording downloads as, and how long it is.

The sandbox reports a recording's duration as the length of the file it serves (not the wall-clock
length of the meeting), so the pages, the API and the file agree. The length is read from the
WebM file itself: its Segment > Info element states a Duration in units of its TimecodeScale.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent / "media" / "sample.webm"

_EBML, _SEGMENT, _INFO = 0x1A45DFA3, 0x18538067, 0x1549A966
_TIMECODE_SCALE, _DURATION = 0x2AD7B1, 0x4489
_DEFAULT_TIMECODE_SCALE = 1_000_000  # nanoseconds per tick, when the file does not say
_HEAD_BYTES = 1 << 20  # Info comes before the media data, well inside this


def duration_seconds(path: Path) -> float:
    """The length of a WebM file in seconds; ValueError when it is not WebM or states no duration."""
    with open(path, "rb") as file:
        data = file.read(_HEAD_BYTES)
    element, _start, header_end = _element(data, 0)
    if element != _EBML:
        raise ValueError(f"{path} is not a WebM (EBML) file")
    for element, start, end in _children(data, header_end):
        if element == _SEGMENT:
            for child, child_start, child_end in _children(data, start, end):
                if child == _INFO:
                    return _info_duration(data[child_start:child_end], path)
    raise ValueError(f"{path} states no duration")


@lru_cache(maxsize=8)
def _served_seconds(path: Path, _modified: float) -> int:
    return max(1, round(duration_seconds(path)))


def served_seconds() -> int:
    """The whole seconds a sandbox recording lasts: the length of the file it downloads as."""
    return _served_seconds(SAMPLE, SAMPLE.stat().st_mtime)


def _info_duration(info: bytes, path: Path) -> float:
    scale, duration = _DEFAULT_TIMECODE_SCALE, None
    for element, start, end in _children(info, 0):
        if element == _TIMECODE_SCALE:
            scale = int.from_bytes(info[start:end], "big")
        elif element == _DURATION:
            duration = struct.unpack(">f" if end - start == 4 else ">d", info[start:end])[0]
    if duration is None:
        raise ValueError(f"{path} states no duration")
    return duration * scale / 1e9


def _children(data: bytes, start: int, end: int | None = None):
    """(id, data start, data end) of each element from `start` to `end` (or the end of what was read)."""
    end = len(data) if end is None else min(end, len(data))
    position = start
    while position < end:
        element, data_start, data_end = _element(data, position)
        yield element, data_start, data_end
        position = data_end


def _element(data: bytes, position: int) -> tuple[int, int, int]:
    """An element's id, and where its data starts and ends (an unknown size runs to the end)."""
    element, id_length = _vint(data, position, keep_marker=True)
    size, size_length = _vint(data, position + id_length, keep_marker=False)
    data_start = position + id_length + size_length
    unknown = size == (1 << (7 * size_length)) - 1
    return element, data_start, len(data) if unknown else data_start + size


def _vint(data: bytes, position: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer: its value (ids keep their length marker) and its length."""
    if position >= len(data) or data[position] == 0:
        raise ValueError("not a valid EBML element")
    first = data[position]
    length = 9 - first.bit_length()
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[position + 1 : position + length]:
        value = (value << 8) | byte
    return value, length
