"""The one job wrapper: what a job's transactions queued after commit runs when the job finishes."""

from __future__ import annotations

import pytest

from kendama.extensions import db
from kendama.tasks.queue import after_commit
from kendama.tasks.runtime import job_context

pytestmark = pytest.mark.both_databases

FOLLOWED: list[str] = []


def follow_up(what: str) -> None:
    """A job the jobs below ask for, by its dotted name."""
    FOLLOWED.append(what)


def test_a_job_outside_a_request_dispatches_what_it_committed():
    """A periodic job runs outside any request: nothing else would hand its follow-ups over."""
    FOLLOWED.clear()

    def periodic_job():
        with job_context():
            after_commit(f"{__name__}.follow_up", "closed the Checkout")
            db.session.commit()

    periodic_job()
    assert FOLLOWED == ["closed the Checkout"]


def test_a_job_that_fails_hands_over_nothing():
    FOLLOWED.clear()

    def failing_job():
        with job_context():
            after_commit(f"{__name__}.follow_up", "never")
            db.session.rollback()
            raise RuntimeError("provider down")

    with pytest.raises(RuntimeError):
        failing_job()
    assert FOLLOWED == []
