"""The one wrapper every job runs in (kendama/jobs.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from flask import Flask, has_app_context

from .. import create_app, dialects
from .queue import dispatch_committed

_process_app: Flask | None = None


def use_app(app: Flask) -> None:
    """Run this process's jobs with `app` (worker.py builds it once, before work horses fork)."""
    global _process_app
    _process_app = app


@contextmanager
def job_context() -> Iterator[None]:
    """Where every job runs: the current app context, or a fresh one of this process's app in a
    worker. Jobs write (dialects.writer), and what their transactions queued after commit is
    dispatched when they finish: outside a request nothing else would (the periodic hold expiry
    lost its Checkout closings that way)."""
    global _process_app
    if has_app_context():
        context = nullcontext()
    else:
        if _process_app is None:  # `rq worker` without worker.py: build the app from the environment
            _process_app = create_app()
        context = _process_app.app_context()
    with context, dialects.writer():
        yield
        dispatch_committed()
