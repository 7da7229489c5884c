"""The app's Flask class: Flask, with its check for coroutine functions done once per function.

Flask asks `inspect.iscoroutinefunction` of every view and every before/after-request hook on
every request (about a dozen times a request here, 4 µs each, a tenth of what a cached page costs
to answer). Whether a function is a coroutine function does not change, so the answer Flask
would give is remembered per function; an async view would still be run through Flask's own
`async_to_sync`, exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask


class KendamaFlask(Flask):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ensured: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._ensured[func]
        except KeyError:
            ensured = self._ensured[func] = super().ensure_sync(func)
            return ensured
        except TypeError:  # an unhashable callable: asked afresh, as Flask does
            return super().ensure_sync(func)
