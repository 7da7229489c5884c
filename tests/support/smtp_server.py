"""A real SMTP server for tests (aiosmtpd) on a free port of 127.0.0.1, collecting what it receives."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """aiosmtpd handler: keeps every accepted message; `refuse` makes it answer 451 instead."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.raw: list[bytes] = []  # each message's bytes as they arrived, for parsers of one's own
        self.refuse = False
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse:
            return "451 Try again later"
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        self.raw.append(envelope.content)
        self.received.set()
        return "250 Message accepted"


class SMTPServer:
    def __init__(self):
        self.handler = Collector()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[tuple[str, list[str], EmailMessage]]:
        return self.handler.messages

    @property
    def raw(self) -> list[bytes]:
        return self.handler.raw
