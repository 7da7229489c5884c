"""The storage of uploaded files: an S3 bucket when STORAGE_BUCKET is set, else a local folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import current_app

from .base import Storage
from .local import LocalStorage

EXTENSION = "kendama_storage"


def storage_for(app_config: Mapping[str, Any], instance_path: str) -> Storage:
    if app_config.get("STORAGE_BUCKET"):
        # boto3 only where a bucket is used: it is a fifth of a web worker's memory.
        from .s3 import S3Storage

        return S3Storage(
            app_config["STORAGE_BUCKET"],
            region=app_config.get("STORAGE_REGION") or "us-east-1",
            endpoint_url=app_config.get("STORAGE_ENDPOINT_URL") or None,
        )
    return LocalStorage(app_config.get("STORAGE_DIR") or os.path.join(instance_path, "clips"))


def current_storage() -> Storage:
    """The current app's storage, made on first use and kept in app.extensions (one boto3 client per app)."""
    app = current_app._get_current_object()
    storage = app.extensions.get(EXTENSION)
    if storage is None:
        storage = app.extensions[EXTENSION] = storage_for(app.config, app.instance_path)
    return storage


__all__ = ["LocalStorage", "Storage", "current_storage", "storage_for"]
