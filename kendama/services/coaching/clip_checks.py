"""Checks on an uploaded practice clip: small enough, a real MP4/WebM/MOV video, short enough.

The file's first bytes decide its kind before FFmpeg sees it, and FFmpeg is then told that
format: left to guess, it would also read playlists and other formats that fetch further URLs
or files (the HLS demuxer, concat), which an upload must never make the server do.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av

from ..errors import InvalidInput

MIB = 1024 * 1024
NOT_A_VIDEO = "That file is not a video we can read. Upload an MP4, WebM or MOV clip."
NO_VIDEO = "That file has no video in it."
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"  # Matroska and WebM


@dataclass(frozen=True)
class CheckedClip:
    duration_seconds: float
    width: int
    height: int
    content_type: str
    extension: str


@dataclass(frozen=True)
class _Kind:
    demuxer: str  # FFmpeg's name for the format, so it does not guess
    content_type: str
    extension: str


def _refuse(message: str) -> InvalidInput:
    return InvalidInput({"file": message})


def too_big_message(max_bytes: int) -> str:
    size = f"{max_bytes / MIB:g} MB" if max_bytes >= MIB else f"{math.ceil(max_bytes / 1024)} KB"
    return f"The clip is over {size}; upload a shorter or smaller one."


def _kind(head: bytes) -> _Kind:
    """MP4 and MOV open with an `ftyp` box (QuickTime's brand is `qt  `); WebM with an EBML header naming its doctype."""
    if head[4:8] == b"ftyp":
        if head[8:12] == b"qt  ":
            return _Kind("mov", "video/quicktime", "mov")
        return _Kind("mp4", "video/mp4", "mp4")
    if head.startswith(_EBML_MAGIC) and b"webm" in head[:64]:  # a Matroska (.mkv) file's doctype is "matroska"
        return _Kind("webm", "video/webm", "webm")
    raise _refuse(NOT_A_VIDEO)


def _duration(container: av.container.InputContainer, stream: av.VideoStream, first: av.VideoFrame) -> float:
    """From the container, else the stream's header, else the time of the last frame decoded."""
    if container.duration:
        return container.duration / av.time_base
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    last = first
    for last in container.decode(stream):  # noqa: B007 (only the last frame's time is wanted)
        pass
    return float(last.time or 0)


def check_clip(path: Path, *, max_seconds: float = 60, max_bytes: int = 100 * MIB) -> CheckedClip:
    """The clip's facts, or InvalidInput({"file": ...}) saying what is wrong with it in words for the uploader."""
    if path.stat().st_size > max_bytes:
        raise _refuse(too_big_message(max_bytes))
    with open(path, "rb") as file:
        kind = _kind(file.read(64))
    try:
        with av.open(str(path), format=kind.demuxer) as container:
            if not container.streams.video:
                raise _refuse(NO_VIDEO)
            stream = container.streams.video[0]
            first = next(container.decode(stream), None)
            if first is None:
                raise _refuse(NOT_A_VIDEO)
            duration = _duration(container, stream, first)
    except av.FFmpegError as error:
        raise _refuse(NOT_A_VIDEO) from error
    if duration > max_seconds:
        raise _refuse(f"The clip is {math.ceil(duration)} seconds long; keep it to {max_seconds:g} seconds or less.")
    return CheckedClip(duration, first.width, first.height, kind.content_type, kind.extension)


def receive_upload(stream: BinaryIO, dest_dir: Path, *, max_bytes: int) -> Path:
    """Copy an upload to a new temp file in `dest_dir`, 1 MiB at a time, refusing it once past `max_bytes`.

    The caller deletes the file when done with it; on refusal it is already gone.
    """
    fd, name = tempfile.mkstemp(dir=dest_dir, prefix="clip-", suffix=".upload")
    try:
        with os.fdopen(fd, "wb") as out:
            received = 0
            while chunk := stream.read(MIB):
                received += len(chunk)
                if received > max_bytes:
                    raise _refuse(too_big_message(max_bytes))
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)
