"""A display name with quotes, commas or semicolons stays one display name of one address, through
both mail paths as they run (the development outbox's .eml files and SMTP to a real server), read
back by the standard library's strict parser."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from kendama.extensions import db
from kendama.integrations import mail as mail_adapter
from kendama.services.notifications import outbox
from kendama.tasks.queue import dispatch_committed

from ..support.factories import FanFactory, LiveSessionFactory, PlayerFactory
from ..support.smtp_server import SMTPServer

pytestmark = pytest.mark.both_databases

NAMES = [
    'Ann "The Ace" Smith',
    "Smith, Ann; Coach",
    'Zoë "Z", Novák; Praha',
    "Bob, <evil@example.com>",  # an address inside the name is text of the name, not a recipient
    "Kendama Club of Greater Prague, Brno, and Ostrava; Junior Section (Pro)",  # long: 71 characters
    'Šárka Dvořáková, Mistryně České republiky; "Kendama" Brno & Olomouc',  # long, non-ASCII
]


def strict_to(raw: bytes) -> list[tuple[str, str]]:
    to = BytesParser(policy=policy.strict).parsebytes(raw)["To"]
    assert not to.defects, to.defects
    return [(address.display_name, address.addr_spec) for address in to.addresses]


def confirm_a_booking_with(name: str):
    fan = FanFactory(display_name=name)
    session = LiveSessionFactory(fan=fan, player=PlayerFactory(display_name=f"Coach {name}"))
    outbox.on_confirmed(session)
    db.session.commit()
    dispatch_committed()
    return session


@pytest.mark.parametrize("name", NAMES)
def test_the_outbox_keeps_one_address_with_the_whole_name(app, tmp_path, monkeypatch, name):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path))
    session = confirm_a_booking_with(name)
    found = sorted(strict_to(path.read_bytes())[0] for path in tmp_path.glob("*.eml"))
    assert found == sorted([(name, session.fan.email), (f"Coach {name}", session.player.email)])


@pytest.mark.parametrize("name", NAMES)
def test_smtp_sends_one_address_with_the_whole_name_to_the_right_mailbox(app, monkeypatch, name):
    with SMTPServer() as smtp:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", smtp.port)
        monkeypatch.setitem(app.config, "MAIL_SUPPRESS_SEND", False)
        session = confirm_a_booking_with(name)
        assert len(smtp.raw) == 2
        received = {
            tuple(recipients): strict_to(raw)[0]
            for (_, recipients, _), raw in zip(smtp.messages, smtp.raw, strict=True)
        }
    assert received == {
        (session.fan.email,): (name, session.fan.email),
        (session.player.email,): (f"Coach {name}", session.player.email),
    }


def test_mailbox_is_the_one_place_an_address_is_written():
    assert mail_adapter.mailbox("Ann, Smith", "ann@example.com") == '"Ann, Smith" <ann@example.com>'
    assert mail_adapter.mailbox("Ann", "ann@example.com") == "Ann <ann@example.com>"
