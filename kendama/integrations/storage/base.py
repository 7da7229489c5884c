"""Where uploaded files (practice clips) are kept: one interface, a local folder or an S3 bucket behind it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

# Keys are made by the app, never taken from a request; a key outside this shape is a bug. Both
# backends refuse the same keys, so a bucket's files can move to a folder and back.
_KEY = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")


def checked_key(key: str) -> str:
    """The key itself, or ValueError when it could name a file outside the folder (or an odd one)."""
    if not _KEY.fullmatch(key) or any(part in {".", ".."} for part in key.split("/")):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage(Protocol):
    """A flat namespace of keys (`clips/42/abc.mp4`), each holding one file's bytes."""

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Store the local file at `path` under `key`, streamed from disk (never read into memory whole)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the file; a key that holds nothing is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def url_for_viewer(self, key: str, *, expires_seconds: int, filename: str | None = None) -> str | None:
        """A time-limited URL a browser can fetch the file from, or None: the app serves it itself (open_local)."""
        ...

    def open_local(self, key: str) -> Path | None:
        """The file on this machine's disk (for send_file), or None when it is kept elsewhere."""
        ...
