"""Safe `next=` handling: only local paths, never another host (no open redirects)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, request, url_for


def local_next() -> str | None:
    """The request's `next=` when it is a path on this site, else None."""
    return local_path(request.values.get("next", ""))


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None."""
    if not isinstance(target, str):
        return None
    parts = urlsplit(target)
    if (
        target.startswith("/")
        and not target.startswith("//")
        and not parts.scheme
        and not parts.netloc
        and "\\" not in target
    ):
        return target
    return None


def safe_next(default_endpoint: str = "discovery.index") -> str:
    return local_next() or url_for(default_endpoint)


def see_other(location: str):
    """303 after a mutation, so a reload never repeats it."""
    return redirect(location, code=303)
