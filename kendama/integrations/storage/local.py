"""Files in a folder on this machine: development, tests, and a single-server deployment."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .base import checked_key

CHUNK_BYTES = 1024 * 1024


class LocalStorage:
    """Keys are paths under `root`. The content type is not kept: the app knows it from the clip's row."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Copy into a temp file beside the target, then rename: a reader never sees half a file."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as source:
                shutil.copyfileobj(source, out, CHUNK_BYTES)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def url_for_viewer(self, key: str, *, expires_seconds: int, filename: str | None = None) -> str | None:
        checked_key(key)
        return None

    def open_local(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None
