"""Notifications: the outbox written with the change, rendering, .ics, retries, preferences, admin view."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import event, select

from kendama import jobs
from kendama.extensions import db, mail
from kendama.models import (
    GuardianConsent,
    NoShowReport,
    Notification,
    Payment,
    WaitlistEntry,
    utcnow,
)
from kendama.services.accounts import accounts, profiles
from kendama.services.errors import NotAllowed, WrongState
from kendama.services.notifications import delivery, emails, outbox, sweep
from kendama.services.notifications import links as email_links
from kendama.tasks.queue import dispatch_committed

from ..conftest import csrf_token_from, recipient
from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory, PlayerFactory
from ..support.package_helpers import paid_purchase
from ..support.smtp_server import SMTPServer, free_port

pytestmark = pytest.mark.both_databases


def rows(**where) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return list(db.session.scalars(query))


def send_all_due() -> None:
    """What the worker does: run the jobs of committed transactions, then a sweep."""
    dispatch_committed()
    jobs.sweep_notifications()


def parts(message) -> tuple[str, str]:
    return message.body, message.html


def invitation(message) -> Calendar:
    (attachment,) = message.attachments
    return Calendar.from_ical(attachment.data)


# --- The outbox is written in the caller's transaction ----------------------------------


def test_a_rolled_back_change_sends_nothing():
    session = LiveSessionFactory()
    with mail.record_messages() as sent:
        outbox.on_confirmed(session)
        db.session.rollback()
        send_all_due()
    assert sent == []
    assert rows(session_id=session.id) == []


def test_a_committed_change_sends_to_both_participants():
    session = LiveSessionFactory()
    with mail.record_messages() as sent:
        outbox.on_confirmed(session)
        db.session.commit()
        dispatch_committed()
    assert sorted(recipient(m) for m in sent) == sorted([session.fan.email, session.player.email])
    assert {n.status for n in rows(kind="booking_confirmed")} == {"sent"}
    # The same event reported twice adds nothing.
    outbox.on_confirmed(session)
    db.session.commit()
    assert len(rows(kind="booking_confirmed")) == 2


def test_a_batch_is_one_statement_and_only_due_rows_are_handed_over_after_commit():
    session = LiveSessionFactory(starts_at=(utcnow() + timedelta(days=3)).replace(microsecond=0))
    session.ends_at = session.blocked_until = session.starts_at + timedelta(minutes=30)
    db.session.flush()
    seen = []
    record = lambda *args: seen.append(args[2])  # noqa: E731
    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        outbox.on_confirmed(session)
    finally:
        event.remove(bind, "before_cursor_execute", record)
    assert len(seen) == 1 and seen[0].startswith("INSERT INTO notifications")
    assert len(rows(session_id=session.id)) == 8  # two invitations, four reminders, two feedback requests
    handed = [args[0] for name, args in db.session.info["jobs_pending"] if name == "kendama.jobs.send_notification"]
    assert sorted(handed) == sorted(n.id for n in rows(kind="booking_confirmed"))


def test_a_batch_leaves_out_keys_already_written_and_keeps_the_callers_change():
    session = LiveSessionFactory()
    outbox.on_confirmed(session)
    db.session.commit()
    existing = rows(kind="booking_confirmed")[0]
    session.notes = "Changed in the same transaction"
    ids = outbox.queue_all(
        [
            outbox.Message(existing.user_id, "booking_confirmed", dedupe_key=existing.dedupe_key),
            outbox.Message(session.fan_id, "password_reset", dedupe_key=f"fresh:{session.id}"),
            outbox.Message(session.fan_id, "password_reset"),
        ]
    )
    written = [db.session.get(Notification, id_) for id_ in ids]
    assert [(n.kind, n.dedupe_key) for n in written] == [
        ("password_reset", f"fresh:{session.id}"),
        ("password_reset", None),
    ]
    db.session.commit()
    db.session.expire_all()
    assert session.notes == "Changed in the same transaction"
    assert len(rows(kind="booking_confirmed")) == 2 and len(rows(kind="password_reset")) == 2
    assert outbox.queue_all([]) == []


# --- What each email says ---------------------------------------------------------------


def test_booking_confirmed_in_the_recipients_zone_with_an_invitation():
    session = LiveSessionFactory(fan__timezone="America/New_York", player__timezone="Asia/Tokyo")
    with mail.record_messages() as sent:
        outbox.on_confirmed(session)
        db.session.commit()
        dispatch_committed()
    by_recipient = {recipient(m): m for m in sent}
    fan_mail, player_mail = by_recipient[session.fan.email], by_recipient[session.player.email]

    new_york = session.starts_at.astimezone(ZoneInfo("America/New_York"))
    tokyo = session.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    for message, local, zone in ((fan_mail, new_york, "America/New_York"), (player_mail, tokyo, "Asia/Tokyo")):
        text, html = parts(message)
        assert f"{local:%H:%M} ({zone})" in text and f"{local:%H:%M} ({zone})" in html
        assert "http://localhost/dashboard/" in text and 'href="http://localhost/dashboard/"' in html
        assert "<h1>" in html and 'lang="en"' in html
    assert session.player.display_name in fan_mail.subject
    assert session.fan.display_name in player_mail.subject

    calendar = invitation(fan_mail)
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"session-{session.id}@localhost"
    assert event.decoded("DTSTART") == session.starts_at
    assert event.decoded("DTEND") == session.ends_at
    assert int(event["SEQUENCE"]) == session.ics_sequence == 0
    (attachment,) = fan_mail.attachments
    assert attachment.content_type.startswith("text/calendar; method=REQUEST")


def test_reschedule_sends_an_updated_invitation_with_the_next_sequence():
    session = LiveSessionFactory()
    uid = f"session-{session.id}@localhost"
    previous = session.starts_at
    session.starts_at = previous + timedelta(days=1)
    session.ends_at = session.starts_at + timedelta(minutes=30)
    session.blocked_until = session.ends_at
    session.ics_sequence += 1
    with mail.record_messages() as sent:
        outbox.on_rescheduled(session, previous)
        db.session.commit()
        dispatch_committed()
    assert len(sent) == 2
    message = sent[0]
    assert "moved from" in message.body
    (event,) = invitation(message).walk("VEVENT")
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == session.starts_at


def test_cancellation_carries_the_refund_and_a_cancel_invitation():
    session = LiveSessionFactory(price_amount=2500, player__setup__paid=True)
    session.status = "cancelled"
    session.cancelled_by_id = session.fan_id
    session.cancelled_by_role = "fan"
    session.cancelled_at = utcnow()
    session.ics_sequence += 1
    with mail.record_messages() as sent:
        outbox.on_cancelled(session, refund_amount=2500)
        db.session.commit()
        dispatch_committed()
    by_recipient = {recipient(m): m for m in sent}
    fan_text = by_recipient[session.fan.email].body
    assert "You cancelled the session." in fan_text
    assert "refund of USD 25.00" in fan_text
    assert "gets a refund of USD 25.00" in by_recipient[session.player.email].body
    calendar = invitation(by_recipient[session.fan.email])
    assert calendar["METHOD"] == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1


def test_awaiting_payment_links_the_open_checkout():
    session = LiveSessionFactory(
        status="pending_payment", price_amount=2500, hold_expires_at=utcnow() + timedelta(minutes=30)
    )
    db.session.add(
        Payment(
            session_id=session.id,
            amount=2500,
            currency="usd",
            checkout_url="https://checkout.stripe.com/c/pay/cs_test_123",
            idempotency_key=f"test-{session.id}",
            expires_at=utcnow() + timedelta(minutes=30),
        )
    )
    outbox.on_awaiting_payment(session)
    db.session.commit()
    (row,) = rows(kind="awaiting_payment")
    row.due_at = utcnow()  # it waits a few minutes (AWAITING_PAYMENT_DELAY) in case the fan pays at once
    db.session.commit()
    with mail.record_messages() as sent:
        send_all_due()
    (message,) = sent
    assert 'href="https://checkout.stripe.com/c/pay/cs_test_123"' in message.html
    assert "The hold ends" in message.body and "(Europe/Prague)" in message.body


def test_password_reset_link_is_minted_at_send_time_and_works(client):
    fan = FanFactory()
    with mail.record_messages() as sent:
        outbox.send_password_reset(fan)
        dispatch_committed()
    (message,) = sent
    (row,) = rows(kind="password_reset")
    assert row.payload == {}  # the token is never stored
    link = next(word for word in message.body.split() if word.startswith("http://localhost/password/reset/"))
    token = link.rsplit("/", 1)[1]
    accounts.reset_password(token, "a brand new password 42")
    assert accounts.authenticate(fan.email, "a brand new password 42") is not None


def test_player_verified_email(client):
    admin = AdminFactory()
    player = PlayerFactory(setup__verified=False)
    with mail.record_messages() as sent:
        profiles.verify_player(admin, player.id)
        dispatch_committed()
    (message,) = sent
    assert message.subject == "You are verified on Kendama Live"
    assert 'href="http://localhost/dashboard/profile"' in message.html


# Each kind with the session state in which it is sent, and text its email must carry.
KIND_CASES = {
    "booking_confirmed": ("confirmed", {}, "is booked"),
    "awaiting_payment": ("pending_payment", {}, "holding this time"),
    "payment_received": ("confirmed", {}, "we received your payment"),
    "rescheduled": ("confirmed", {"previous_start": "2026-01-05T10:00:00+00:00"}, "the session moved"),
    "cancelled": ("cancelled", {"refund_amount": 0, "currency": "usd"}, "nothing to refund"),
    "recording_ready": ("completed", {}, "ready to watch"),
    "coach_notes_published": ("completed", {"note_ids": []}, "left coach notes"),
    "feedback_request": ("completed", {}, "rating from 1 to 5"),
    "hold_expired": ("cancelled", {}, "You were not charged"),
    "payment_refunded_duplicate": ("confirmed", {"amount": 2500, "currency": "usd"}, "paid twice"),
    "payment_refunded_slot_taken": ("cancelled", {"amount": 2500, "currency": "usd"}, "booked by someone else"),
    "payment_refunded_unavailable": ("cancelled", {"amount": 2500, "currency": "usd"}, "no longer available"),
    "password_reset": (None, {}, "reset the password"),
    "confirm_email": (None, {"next": "/players"}, "Finish creating your Kendama Live account"),
    "registration_attempt": (None, {}, "tried to create a new Kendama Live account"),
    "player_verified": (None, {}, "verified your player profile"),
    "payouts_restricted": (None, {"currently_due": ["individual.id_number"]}, "individual.id_number"),
    "no_show_reported": ("no_show", {}, "reported that you did not come"),
    "waitlist_offer": (None, {}, "held for you alone until"),
    "package_purchased": (None, {}, "3 lesson credits to book with"),
    "guardian_request": (None, {}, "Fans under 16 need a parent or guardian"),
    "guardian_booking_confirmed": ("confirmed", {}, "This is your copy of the confirmation"),
    "guardian_cancelled": (
        "cancelled",
        {"refund_amount": 0, "currency": "usd"},
        "This is your copy of the cancellation",
    ),
    "package_expiring": (None, {}, "3 of your 3 lesson credits"),
    "no_show_resolved": (
        "no_show",
        {"outcome": "refunded", "refunded": 2500, "currency": "usd"},
        "a full refund of USD 25.00",
    ),
}


def test_every_kind_has_a_case():
    # Reminders need a due time that matches the session's start; they have their own tests below.
    assert set(KIND_CASES) == emails.KINDS - {"reminder_24h", "reminder_1h"}


@pytest.mark.parametrize("kind", sorted(KIND_CASES))
def test_each_kind_renders_an_accessible_html_email_and_a_text_twin(kind):
    status, payload, phrase = KIND_CASES[kind]
    session = LiveSessionFactory(status=status or "confirmed", fan__timezone="America/Sao_Paulo")
    if kind == "confirm_email":
        session.fan.email_confirmed_at = None  # only an account waiting for its link is sent one
    due_at = None
    if kind == "waitlist_offer":  # a time held for the fan, first in line for the day
        start = session.starts_at
        entry = WaitlistEntry(
            player_id=session.player_id,
            fan_id=session.fan_id,
            day=start.date(),
            zone="Europe/Prague",
            duration_minutes=30,
            state="offered",
            offer_start=start,
            offer_end=start + timedelta(minutes=30),
            offer_until=utcnow() + timedelta(minutes=15),
        )
        db.session.add(entry)
        db.session.flush()
        payload = {"entry_id": entry.id}
    if kind.startswith("package_"):  # the fan bought 3 lessons with the player
        payload = {"purchase_id": paid_purchase(session.fan, session.player, valid_days=5).id}
    if kind.startswith("guardian_"):  # a young fan whose guardian confirmed
        session.fan.birth_year = utcnow().year - 13
        session.fan_is_minor = True
        db.session.add(GuardianConsent(fan_id=session.fan_id, guardian_email="guardian@example.com", state="approved"))
    if kind.startswith("no_show"):  # the fan's report that the player did not come
        db.session.add(
            NoShowReport(
                session_id=session.id,
                absent="player",
                reported_by_id=session.fan_id,
                statement="Nobody came.",
                dispute_until=session.ends_at + timedelta(hours=48),
                outcome="open",
            )
        )
    if kind == "feedback_request":  # the session was two days ago
        session.starts_at -= timedelta(days=2)
        session.ends_at -= timedelta(days=2)
        session.blocked_until = session.ends_at
        due_at = outbox.scheduled_times(session)[kind]
    outbox.queue(session.fan_id, kind, session_id=session.id if status else None, payload=payload, due_at=due_at)
    db.session.commit()
    with mail.record_messages() as sent:
        send_all_due()
    (message,) = sent
    text, html = parts(message)
    assert message.subject and "\n" not in message.subject
    assert phrase in text and phrase in html
    assert html.count("<h1>") == 1 and 'lang="en"' in html and "<img" not in html
    # Every link is absolute, and says where it goes (no "click here").
    links = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>', html)
    assert links and all(url.startswith(("http://localhost/", "https://")) for url, _ in links)
    assert not any(label.strip().lower() in {"click here", "here", "link"} for _, label in links)
    if status:
        assert "(America/Sao_Paulo)" in text and "(America/Sao_Paulo)" in html
    assert message.msgId.startswith("<notification-") and message.msgId.endswith("@localhost>")


# --- Reminders ----------------------------------------------------------------------------


def test_reminders_move_on_reschedule_and_vanish_on_cancel():
    session = LiveSessionFactory(starts_at=(utcnow() + timedelta(days=3)).replace(microsecond=0))
    session.ends_at = session.starts_at + timedelta(minutes=30)
    session.blocked_until = session.ends_at
    outbox.on_confirmed(session)
    db.session.commit()
    pending = {(n.kind, n.user_id): n.due_at for n in rows(status="pending")}
    assert pending[("reminder_24h", session.fan_id)] == session.starts_at - timedelta(hours=24)
    assert pending[("reminder_1h", session.player_id)] == session.starts_at - timedelta(hours=1)
    assert len([k for k in pending if k[0].startswith("reminder")]) == 4

    previous = session.starts_at
    session.starts_at = previous + timedelta(hours=5)
    session.ends_at = session.starts_at + timedelta(minutes=30)
    session.blocked_until = session.ends_at
    session.ics_sequence += 1
    outbox.on_rescheduled(session, previous)
    db.session.commit()
    reminders = [n for n in rows(status="pending") if n.kind.startswith("reminder")]
    assert len(reminders) == 4
    assert {n.due_at for n in reminders} == {
        session.starts_at - timedelta(hours=24),
        session.starts_at - timedelta(hours=1),
    }
    assert len([n for n in rows(status="cancelled") if n.kind.startswith("reminder")]) == 4

    session.status = "cancelled"
    session.ics_sequence += 1
    outbox.on_cancelled(session)
    db.session.commit()
    assert [n for n in rows(status="pending") if n.kind.startswith("reminder")] == []


def test_a_due_reminder_goes_out_with_a_signed_join_link_and_honours_preferences():
    session = LiveSessionFactory(starts_at=(utcnow() + timedelta(days=3)).replace(microsecond=0))
    session.ends_at = session.starts_at + timedelta(minutes=30)
    session.blocked_until = session.ends_at
    session.player.email_reminders = False
    outbox.schedule_reminders(session)
    db.session.commit()
    # An hour before the start, as the sweep finds it: the session is 50 minutes away.
    session.starts_at = utcnow().replace(microsecond=0) + timedelta(minutes=50)
    session.ends_at = session.starts_at + timedelta(minutes=30)
    session.blocked_until = session.ends_at
    for row in rows(kind="reminder_1h"):
        row.due_at = session.starts_at - timedelta(hours=1)
    db.session.commit()

    with mail.record_messages() as sent:
        jobs.sweep_notifications()
    (message,) = sent
    assert recipient(message) == session.fan.email
    assert "starts in 1 hour" in message.body
    statuses = {n.user_id: n.status for n in rows(kind="reminder_1h")}
    assert statuses == {session.fan_id: "sent", session.player_id: "skipped"}
    # The 24-hour reminders no longer match the session's time: they were never due here.
    assert {n.status for n in rows(kind="reminder_24h")} == {"pending"}

    link = next(w for w in message.body.split() if f"/sessions/{session.id}/join?t=" in w)
    assert link.startswith("http://localhost/")
    token = parse_qs(urlsplit(link).query)["t"][0]
    email_links.check_action_token("join", token, session.id, session.fan_id)
    with pytest.raises(NotAllowed):
        email_links.check_action_token("join", token, session.id, session.player_id)
    with pytest.raises(NotAllowed):  # a join link is no cancel link
        email_links.check_action_token("cancel", token, session.id, session.fan_id)


@pytest.mark.parametrize("action", ["join", "cancel", "reschedule"])
def test_email_action_links_still_require_the_recipient_to_be_signed_in(client, login, action):
    session = LiveSessionFactory()
    link = email_links.action_url(action, session, session.fan)
    path = link.removeprefix("http://localhost")
    signed_out = client.get(path)
    assert signed_out.status_code in (302, 303) and "/login" in signed_out.headers["Location"]
    login(FanFactory())
    assert client.get(path).status_code == 404
    login(session.fan)
    assert client.get(path).status_code == 200


def test_transactional_emails_ignore_the_reminder_preference():
    session = LiveSessionFactory(fan__email_reminders=False, fan__email_feedback_requests=False)
    with mail.record_messages() as sent:
        outbox.on_confirmed(session)
        db.session.commit()
        dispatch_committed()
    assert session.fan.email in {recipient(m) for m in sent}


def test_a_reminder_for_a_cancelled_session_is_skipped():
    session = LiveSessionFactory()
    outbox.queue(session.fan_id, "reminder_1h", session_id=session.id, due_at=utcnow() - timedelta(seconds=1))
    session.status = "cancelled"
    db.session.commit()
    with mail.record_messages() as sent:
        jobs.sweep_notifications()
    assert sent == []
    (row,) = rows(kind="reminder_1h")
    assert row.status == "skipped" and "no longer confirmed" in row.last_error


# --- SMTP, failures and retries -------------------------------------------------------------


@pytest.fixture
def smtp(app, monkeypatch):
    with SMTPServer() as server:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
        monkeypatch.setitem(app.config, "MAIL_SUPPRESS_SEND", False)
        yield server


def test_smtp_delivery_through_a_real_server(smtp):
    session = LiveSessionFactory()
    outbox.on_confirmed(session)
    db.session.commit()
    dispatch_committed()
    assert len(smtp.messages) == 2
    mail_from, recipients, message = smtp.messages[0]
    assert "sessions@kendama.local" in mail_from
    assert recipients[0] in (session.fan.email, session.player.email)
    row = next(
        n
        for n in rows(kind="booking_confirmed")
        if n.user_id == (session.fan_id if recipients[0] == session.fan.email else session.player_id)
    )
    assert message["Message-ID"] == f"<notification-{row.id}.{row.created_at:%Y%m%d%H%M%S}@localhost>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",)).get_content().strip()
    assert "<h1>" in message.get_body(("html",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar" and attachment.get_param("method") == "REQUEST"
    (event,) = Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")
    assert str(event["UID"]) == f"session-{session.id}@localhost"


def test_smtp_failure_backs_off_then_goes_dead_and_an_admin_retries(app, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATION_MAX_ATTEMPTS", 3)
    smtp.handler.refuse = True
    fan = FanFactory()
    notification = outbox.queue(fan.id, "password_reset")
    db.session.commit()
    dispatch_committed()
    db.session.refresh(notification)
    assert notification.status == "failed" and notification.attempts == 1
    assert "451" in notification.last_error
    first_delay = notification.due_at - utcnow()
    assert timedelta(seconds=55) < first_delay <= timedelta(seconds=60)

    # Not due yet: a sweep leaves it alone.
    jobs.sweep_notifications()
    db.session.refresh(notification)
    assert notification.attempts == 1

    for expected_attempts, expected_status in ((2, "failed"), (3, "dead")):
        notification.due_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        jobs.sweep_notifications()
        db.session.refresh(notification)
        assert (notification.attempts, notification.status) == (expected_attempts, expected_status)
    assert delivery.retry_delay(2) == timedelta(seconds=120)
    assert smtp.messages == []

    admin = AdminFactory()
    assert [n.id for n, _ in sweep.problems(admin)] == [notification.id]
    with pytest.raises(NotAllowed):
        sweep.problems(fan)
    smtp.handler.refuse = False
    sweep.retry(admin, notification.id)
    dispatch_committed()
    db.session.refresh(notification)
    assert notification.status == "sent"
    assert len(smtp.messages) == 1
    with pytest.raises(WrongState):
        sweep.retry(admin, notification.id)


def test_unreachable_smtp_server_is_a_retryable_failure(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "MAIL_SUPPRESS_SEND", False)
    notification = outbox.queue(FanFactory().id, "password_reset")
    db.session.commit()
    dispatch_committed()
    db.session.refresh(notification)
    assert notification.status == "failed" and "ConnectionRefusedError" in notification.last_error


def test_production_without_mail_server_refuses_instead_of_using_the_outbox(app, monkeypatch):
    monkeypatch.setitem(app.config, "PRODUCTION", True)
    notification = outbox.queue(FanFactory().id, "password_reset")
    db.session.commit()
    dispatch_committed()
    db.session.refresh(notification)
    assert notification.status == "failed" and "MAIL_SERVER is not set" in notification.last_error


def test_stale_sending_rows_are_reclaimed_and_sent_again(app):
    notification = outbox.queue(FanFactory().id, "password_reset")
    notification.status = "sending"
    notification.attempts = 1
    notification.locked_at = utcnow() - timedelta(seconds=app.config["NOTIFICATION_SENDING_TIMEOUT_SECONDS"] + 5)
    db.session.commit()
    db.session.info.pop("jobs_ready", None)  # the worker that had it died
    with mail.record_messages() as sent:
        jobs.sweep_notifications()
    assert len(sent) == 1
    db.session.refresh(notification)
    assert notification.status == "sent" and notification.attempts == 2


def test_a_recently_claimed_row_is_left_to_its_worker(app):
    notification = outbox.queue(FanFactory().id, "password_reset")
    notification.status = "sending"
    notification.locked_at = utcnow()
    db.session.commit()
    db.session.info.pop("jobs_ready", None)
    with mail.record_messages() as sent:
        jobs.sweep_notifications()
    assert sent == []


def test_unknown_kind_goes_dead_at_once():
    notification = outbox.queue(FanFactory().id, "no_such_email")
    db.session.commit()
    dispatch_committed()
    db.session.refresh(notification)
    assert notification.status == "dead" and "no_such_email" in notification.last_error


# --- Pages ------------------------------------------------------------------------------------


def test_admin_page_lists_dead_emails_and_retries_them(client, login):
    fan = FanFactory(display_name="Dora Dead")
    notification = outbox.queue(fan.id, "password_reset")
    notification.status, notification.attempts, notification.last_error = "dead", 6, "SMTPDataError: 554 no"
    db.session.commit()
    db.session.info.pop("jobs_ready", None)

    login(fan)
    assert client.get("/admin/notifications").status_code == 404
    login(AdminFactory())
    assert 'href="/admin/notifications"' in client.get("/admin/").get_data(as_text=True)
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert "Dora Dead" in page and "SMTPDataError: 554 no" in page and f"Retry #{notification.id} now" in page
    with mail.record_messages() as sent:
        response = client.post(
            f"/admin/notifications/{notification.id}/retry", data={"csrf_token": csrf_token_from(client)}
        )
    assert response.status_code == 303
    assert len(sent) == 1
    db.session.refresh(notification)
    assert notification.status == "sent"


def test_turning_reminders_off_in_settings_is_honoured(client, login):
    session = LiveSessionFactory()
    login(session.fan)
    response = client.post(
        "/account",
        data={
            "display_name": session.fan.display_name,
            "timezone": "Europe/Prague",
            "email_feedback_requests": "y",
            "csrf_token": csrf_token_from(client),
        },
    )
    assert response.status_code == 303
    outbox.queue(session.fan_id, "reminder_24h", session_id=session.id, due_at=session.starts_at - timedelta(hours=24))
    row = rows(kind="reminder_24h")[0]
    row.due_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with mail.record_messages() as sent:
        jobs.sweep_notifications()
    assert sent == []
    db.session.refresh(row)
    assert row.status == "skipped" and "email_reminders" in row.last_error
