"""The one job wrapper: what a job's transactions queued after commit runs when the job finishes."""

from __future__ import annotations

import pytest

from kendama import jobs
from kendama.extensions import db

pytestmark = pytest.mark.both_databases


def test_a_job_outside_a_request_dispatches_what_it_committed():
    """A periodic job runs outside any request: nothing else would hand its follow-ups over."""
    followed = []

    def periodic_job():
        with jobs.app_context():
            jobs.after_commit(followed.append, "closed the Checkout")
            db.session.commit()

    periodic_job()
    assert followed == ["closed the Checkout"]


def test_a_job_that_fails_hands_over_nothing():
    followed = []

    def failing_job():
        with jobs.app_context():
            jobs.after_commit(followed.append, "never")
            db.session.rollback()
            raise RuntimeError("provider down")

    with pytest.raises(RuntimeError):
        failing_job()
    assert followed == []
