"""What PyAV reads from media files: their length and the kinds of stream in them.

The sandbox reports a recording's duration as the length of the file its recorder wrote (not the
wall-clock length of the meeting), so the pages, the API and the file agree.
"""

from __future__ import annotations

from pathlib import Path

import av

_KINDS = ("audio", "video")


def duration_seconds(path: Path) -> float:
    """The length of a media file in seconds; ValueError when it is not media or its length is unknown.

    The container's stated duration comes first, then the longest stream's; a file that states
    neither (a recording cut off before its header was rewritten, say) is measured by its packets.
    """
    with _opened(path) as container:
        if container.duration:
            return container.duration / av.time_base
        stated = [float(stream.duration * stream.time_base) for stream in container.streams if stream.duration]
        if stated:
            return max(stated)
        return _last_packet_end(container, path)


def streams(path: Path) -> set[str]:
    """The kinds of stream in a media file: a subset of {"audio", "video"}; ValueError when it is not media."""
    with _opened(path) as container:
        return {stream.type for stream in container.streams if stream.type in _KINDS}


def _opened(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path))
    except av.FFmpegError as error:
        raise ValueError(f"{path} cannot be read as media: {error}") from error


def _last_packet_end(container: av.container.InputContainer, path: Path) -> float:
    end = None
    for packet in container.demux():
        if packet.pts is not None and packet.time_base is not None:
            packet_end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
            end = packet_end if end is None else max(end, packet_end)
    if end is None:
        raise ValueError(f"{path} states no duration")
    return end
