"""The mail adapter: SMTP through Flask-Mail when MAIL_SERVER is set, else the development outbox.

The outbox keeps each message as an RFC 5322 `.eml` file under instance/mail/ (MAIL_OUTBOX_DIR),
so messages survive restarts and the web process shows what a worker process sent (/dev/mail).
Production and staging never use it: without MAIL_SERVER, sending there fails loudly.

Either way Flask-Mail's `email_dispatched` signal fires, so `mail.record_messages()` sees every
message in tests.
"""

from __future__ import annotations

import os
import smtplib
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from flask import current_app
from flask_mail import Connection, Message, email_dispatched

from ..extensions import mail


class MailNotConfigured(RuntimeError):
    """Production without MAIL_SERVER: there is nowhere safe to send mail."""


# The address headers are written by the standard library's address-aware policy, on one line:
# Flask-Mail encodes a display name as words folded at 76 characters, and a long name with a comma
# came apart into two addresses; CPython's folder drops a long quoted name's quotes. RFC 5322 lines
# may be 998 characters long; display names are at most 80.
ADDRESS_POLICY = policy.SMTP.clone(max_line_length=998)


def mailbox(display_name: str, address: str) -> str:
    """One person's address as RFC 5322 writes it: the display name quoted, escaped or encoded as it needs.

    Every recipient is built here; Flask-Mail reads the address for the SMTP envelope from it too.
    """
    return str(Address(display_name=display_name, addr_spec=address))


class AddressedMessage(Message):
    """Flask-Mail's message, whose From and To headers are written from mailbox() strings as they are."""

    def _message(self):
        built = super()._message()
        built.policy = ADDRESS_POLICY
        for name, mailboxes in (("From", [self.sender]), ("To", self.recipients)):
            del built[name]
            built[name] = ", ".join(mailboxes)
        return built


class _TimedConnection(Connection):
    """Flask-Mail's SMTP connection with a socket timeout (it opens one without any)."""

    def configure_host(self) -> smtplib.SMTP:
        timeout = current_app.config["MAIL_TIMEOUT_SECONDS"]
        state = self.mail
        host_class = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = host_class(state.server, state.port, timeout=timeout)
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


def uses_smtp() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send(message: Message) -> None:
    """Hand a message to SMTP or the outbox; raises on failure (the caller retries)."""
    if uses_smtp():
        _send_smtp(message)
    elif current_app.config["PRODUCTION"] or not current_app.config.get("DEV_MAIL_OUTBOX"):
        raise MailNotConfigured(
            "MAIL_SERVER is not set. Production and staging send mail only by SMTP; "
            "set MAIL_SERVER (and MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD) to send email."
        )
    else:
        _store_in_outbox(message)


def _send_smtp(message: Message) -> None:
    # Read the settings now rather than at start, so a changed config takes effect at once.
    state = mail.init_mail(current_app.config, current_app.debug, current_app.testing)
    with _TimedConnection(state) as connection:
        connection.send(message)


# --- The development outbox -------------------------------------------------------------


def outbox_dir() -> Path:
    configured = current_app.config.get("MAIL_OUTBOX_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "mail"


def _store_in_outbox(message: Message) -> None:
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if message.date is None:
        message.date = datetime.now(UTC).timestamp()
    # Sortable by time; the random tail keeps two messages in one microsecond apart.
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-", suffix=".eml")
    with os.fdopen(handle, "wb") as file:
        file.write(message.as_bytes())
    final = folder / f"{stamp}-{Path(temporary).stem.removeprefix('.incoming-')}.eml"
    os.replace(temporary, final)  # atomic: a reader never sees half a message
    email_dispatched.send(current_app._get_current_object(), message=message)


@dataclass(frozen=True)
class StoredMessage:
    """One message in the outbox, parsed for display."""

    key: str
    stored_at: datetime
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", "")).strip()

    @property
    def to(self) -> str:
        return str(self.message.get("To", ""))

    def part(self, content_type: str) -> str | None:
        body = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        return body.get_content() if body is not None and body.get_content_type() == content_type else None

    def attachments(self) -> list[tuple[str, str, bytes]]:
        """(filename, content type, bytes) of each attachment, in order."""
        return [
            (part.get_filename() or f"attachment-{i}", part.get_content_type(), part.get_payload(decode=True) or b"")
            for i, part in enumerate(self.message.iter_attachments(), start=1)
        ]


def _valid_key(key: str) -> bool:
    return bool(key) and key.endswith(".eml") and "/" not in key and "\\" not in key and not key.startswith(".")


def stored_messages(limit: int = 200) -> list[StoredMessage]:
    """The newest messages in the outbox first."""
    folder = outbox_dir()
    if not folder.is_dir():
        return []
    keys = sorted((p.name for p in folder.iterdir() if _valid_key(p.name)), reverse=True)[:limit]
    return [message for key in keys if (message := stored_message(key)) is not None]


def stored_message(key: str) -> StoredMessage | None:
    """One message by its file name, or None (also for names that are not outbox files)."""
    if not _valid_key(key):
        return None
    path = outbox_dir() / key
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    stored_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return StoredMessage(key=key, stored_at=stored_at, message=parsed)
