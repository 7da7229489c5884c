"""A test's rolled-back session belongs to the app under test only.

Each test swaps `db.session` (one object for every app in the process) for a session on its own
connection. A live server of an earlier module can still be finishing a request in a thread (a
webhook re-reading a Checkout from the sandbox); that thread must keep its own app's session, not
run statements on this test's connection at the same time (which aborted the test's transaction:
"current transaction is aborted, commands ignored until end of transaction block").
"""

from __future__ import annotations

import threading

from sqlalchemy import text

from kendama.extensions import db

from ..support.backends import scratch_app


def test_another_apps_thread_does_not_use_this_tests_connection(app):
    with app.app_context():
        test_connection = db.session.connection()
    seen = {}
    with scratch_app("postgresql") as other:

        def elsewhere():
            with other.app_context():
                seen["connection"] = db.session.connection()
                seen["database"] = db.session.execute(text("SELECT current_database()")).scalar()
                db.session.remove()

        worker = threading.Thread(target=elsewhere)
        worker.start()
        worker.join()
        with other.app_context():
            other_database = db.engine.url.database
    assert seen["connection"] is not test_connection
    assert seen["database"] == other_database
