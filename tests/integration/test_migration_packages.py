"""Migration 0010 lets payments and refunds belong to a package purchase. On SQLite that rebuilds both
tables; their rows, the refunds' link to their payment and the sessions' overlap guard survive the
rebuild both ways (on the embedded default and on PostgreSQL)."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from kendama.extensions import db

from .test_migration_reviews import _people_and_feedback, migrated_app  # noqa: F401 - the fixture

PAYMENT = (
    "INSERT INTO payments (session_id, amount, currency, application_fee_amount, status, idempotency_key, "
    "created_at) VALUES (:session, 2500, 'usd', 375, 'paid', 'migration-payment', CURRENT_TIMESTAMP)"
)
REFUND = (
    "INSERT INTO refunds (session_id, payment_id, amount, currency, fee_refund_amount, reason, status, "
    "idempotency_key, attempts, created_at) VALUES (:session, :payment, 1000, 'usd', 150, 'requested_by_customer', "
    "'succeeded', 'migration-refund', 0, CURRENT_TIMESTAMP)"
)


def rows() -> list[tuple]:
    return [
        tuple(row)
        for row in db.session.execute(
            text(
                "SELECT p.session_id, p.amount, r.amount, r.payment_id = p.id FROM payments p "
                "JOIN refunds r ON r.payment_id = p.id ORDER BY p.id"
            )
        )
    ]


@pytest.mark.committed
@pytest.mark.parametrize("migrated_app", ["sqlite", "postgresql"], indirect=True)
def test_payments_and_refunds_keep_their_rows_through_0010_and_back(migrated_app):  # noqa: F811
    with migrated_app.app_context():
        upgrade(revision="0005")
        _fan, _player, session_id = _people_and_feedback()
        db.session.remove()
        upgrade(revision="0009")
        db.session.execute(text(PAYMENT), {"session": session_id})
        payment_id = db.session.scalar(text("SELECT id FROM payments"))
        db.session.execute(text(REFUND), {"session": session_id, "payment": payment_id})
        db.session.commit()
        db.session.remove()

        upgrade(revision="0010")
        assert rows() == [(session_id, 2500, 1000, True)]
        if db.engine.dialect.name == "sqlite":  # the sessions table was not rebuilt: its guard is there
            assert db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all()
        db.session.remove()

        downgrade(revision="0009")
        assert rows() == [(session_id, 2500, 1000, True)]
        db.session.remove()
