"""The video provider: its interface (base.py), Daily's adapter (daily.py), the offline sandbox
(sandbox/), and the registry that picks one by VIDEO_PROVIDER (registry.py).

The services use what this package exports: the interface's values and errors, `provider()`
and the join page's `call_frame()`.
"""

from __future__ import annotations

from .base import (
    AccessLink,
    CallFrame,
    InvalidWebhook,
    ProviderNotFound,
    ProviderRecording,
    ProviderRejected,
    ProviderTranscript,
    ProviderUnreachable,
    Room,
    RoomSpec,
    VideoEvent,
    VideoNotConfigured,
    VideoProvider,
    VideoProviderError,
)
from .registry import call_frame, provider

__all__ = [
    "AccessLink",
    "CallFrame",
    "InvalidWebhook",
    "ProviderNotFound",
    "ProviderRecording",
    "ProviderRejected",
    "ProviderTranscript",
    "ProviderUnreachable",
    "Room",
    "RoomSpec",
    "VideoEvent",
    "VideoNotConfigured",
    "VideoProvider",
    "VideoProviderError",
    "call_frame",
    "provider",
]
