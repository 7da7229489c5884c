"""Player photos: checked by content (not by name), re-encoded never, served from instance/."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import Profile
from ..errors import InvalidInput

# Magic numbers of the formats we accept; the file's own bytes decide its type.
SIGNATURES = {b"\x89PNG\r\n\x1a\n": ("png", "image/png"), b"\xff\xd8\xff": ("jpg", "image/jpeg")}


@dataclass(frozen=True)
class StoredAvatar:
    directory: str
    filename: str
    mimetype: str


def _directory() -> Path:
    path = Path(current_app.instance_path) / "avatars"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _kind(data: bytes) -> tuple[str, str] | None:
    for signature, kind in SIGNATURES.items():
        if data.startswith(signature):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ("webp", "image/webp")
    return None


def checked_kind(data: bytes) -> tuple[str, str]:
    """(extension, media type) of an acceptable photo: PNG, JPEG or WebP of at most AVATAR_MAX_BYTES."""
    if len(data) > current_app.config["AVATAR_MAX_BYTES"]:
        raise InvalidInput({"avatar": "Choose a photo under 2 MB."})
    kind = _kind(data)
    if kind is None:
        raise InvalidInput({"avatar": "Choose a PNG, JPEG or WebP photo."})
    return kind


def store(data: bytes) -> str:
    """Write a checked photo under its content's name and return that key (the caller commits it)."""
    key = f"{hashlib.sha256(data).hexdigest()[:32]}.{checked_kind(data)[0]}"
    (_directory() / key).write_bytes(data)
    return key


def discard_unless_used(key: str | None) -> None:
    """Delete a photo's file once no profile names it (keys are content hashes: two players may share one).

    Called after the commit that stopped using it, so a failed save never loses the photo shown.
    """
    if not key or db.session.scalar(select(Profile.user_id).where(Profile.avatar_key == key).limit(1)) is not None:
        return
    path = _directory() / key
    if path.parent == _directory():  # a stored key is a bare file name; never follow one elsewhere
        path.unlink(missing_ok=True)


def avatar_file(player_id: int) -> StoredAvatar | None:
    profile = db.session.get(Profile, player_id)
    if profile is None or not profile.avatar_key:
        return None
    extension = profile.avatar_key.rsplit(".", 1)[-1]
    mimetype = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}.get(extension)
    if mimetype is None or not (_directory() / profile.avatar_key).exists():
        return None
    return StoredAvatar(str(_directory()), profile.avatar_key, mimetype)
