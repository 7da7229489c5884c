"""A small timeline of one trick's progress, as data for an SVG drawn by the template.

Each mark is a point: left to right in time order (evenly spaced: lessons are what count, not the
days between them), up for landed, middle for getting closer, down for not yet. The states are
written at the left, and the first and last lessons' dates under the line.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...models import ProgressState
from .progress import STATE_LABELS, HistoryEntry

WIDTH, HEIGHT, PAD = 340, 96, 12
LEFT = 104  # room for the state names
PLOT_BOTTOM = HEIGHT - 24  # room for the dates below
ROW = {ProgressState.LANDED: PAD, ProgressState.CLOSER: (PAD + PLOT_BOTTOM) / 2, ProgressState.NOT_YET: PLOT_BOTTOM}


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    state: str
    label: str


def timeline(history: list[HistoryEntry]) -> list[Point]:
    step = (WIDTH - LEFT - PAD) / max(len(history) - 1, 1)
    return [
        Point(round(LEFT + number * step, 1), ROW[entry.state], entry.state, STATE_LABELS[entry.state])
        for number, entry in enumerate(history)
    ]


def path(points: list[Point]) -> str:
    return " ".join(f"{'M' if n == 0 else 'L'}{p.x},{p.y}" for n, p in enumerate(points))
