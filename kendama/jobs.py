"""The RQ entry points: each job takes primitive ids, runs in the one job wrapper and calls a service.

This module's path stays: RQ stores queued jobs by dotted name ("kendama.jobs.send_notification"),
and services ask for jobs by those names (kendama/tasks/queue.py), so nothing imports this module
but RQ and the tickers. What runs on a clock, and how often, is in kendama/tasks/periodic.py.
"""

from __future__ import annotations

from flask import current_app

from .integrations.stripe.sandbox import clock as stripe_sandbox_clock
from .services.accounts import sign_ins
from .services.booking import lifecycle, no_shows, waitlist
from .services.calendars import caldav_busy, imports, writes
from .services.coaching import clips
from .services.notifications import delivery, sweep
from .services.payments import checkout, packages, refunds
from .services.video import calls, recording_sync
from .tasks.queue import enqueue
from .tasks.runtime import job_context


def send_notification(notification_id: int) -> None:
    """Job: deliver one outbox row; a copy of the job finds the row claimed and does nothing."""
    with job_context():
        delivery.deliver(notification_id)


def sweep_notifications() -> None:
    """Periodic: send what is due (reminders), re-hand rows whose job was lost, reclaim dead sends."""
    with job_context():
        sweep.sweep(lambda notification_id: enqueue(f"{__name__}.send_notification", notification_id))


def sync_calendar(player_id: int) -> None:
    """Job: import a player's external calendar into their busy times."""
    with job_context():
        imports.sync(player_id)


def refresh_calendars() -> None:
    """Periodic: one sync job per player with an external calendar (a slow one delays no other)."""
    with job_context():
        for player_id in imports.players_to_sync():
            enqueue(f"{__name__}.sync_calendar", player_id)


def sync_caldav_busy(player_id: int) -> None:
    """Job: read a player's CalDAV busy times for the booking window into the cache."""
    with job_context():
        caldav_busy.sync(player_id)


def push_calendar_event(session_id: int) -> None:
    """Job: make the player's CalDAV calendar match one session (put or delete its event)."""
    with job_context():
        writes.push(session_id)


def refresh_caldav() -> None:
    """Periodic: hand out CalDAV busy-time refreshes and event writes that are due (retries included)."""
    with job_context():
        for player_id in caldav_busy.hand_out_due():
            enqueue(f"{__name__}.sync_caldav_busy", player_id)
        for session_id in writes.hand_out_due():
            enqueue(f"{__name__}.push_calendar_event", session_id)


def expire_booking_holds() -> None:
    """Periodic: cancel unpaid booking holds whose time is up, releasing their slots."""
    with job_context():
        lifecycle.expire_holds()  # its Checkouts are closed at Stripe by the jobs this queues


def purge_dead_sign_ins() -> None:
    """Periodic: delete browser sign-ins and API tokens that can never work again (expired or revoked)."""
    with job_context():
        sign_ins.purge_dead()


def prepare_video_rooms() -> None:
    """Periodic: create the video rooms of sessions starting soon (joining makes one too)."""
    with job_context():
        calls.prepare_rooms()


def finish_video_sessions() -> None:
    """Periodic: sessions in progress whose end has passed are completed."""
    with job_context():
        calls.finish_ended_sessions()


def cleanup_video_rooms() -> None:
    """Periodic: delete the rooms of sessions that are over."""
    with job_context():
        calls.cleanup_rooms()


def sync_session_recordings(session_id: int) -> None:
    """Job: fetch one session's recordings and captions from the video provider."""
    with job_context():
        recording_sync.sync_session(session_id)


def sync_video_recordings() -> None:
    """Periodic: one sync job per recent recorded session (a missed webhook is caught here)."""
    with job_context():
        for session_id in recording_sync.sessions_to_sync():
            enqueue(f"{__name__}.sync_session_recordings", session_id)


def delete_provider_recording(provider_recording_id: str) -> None:
    """Job: delete a recording kept without both consents from the provider's storage."""
    with job_context():
        recording_sync.delete_at_provider(provider_recording_id)


def delete_session_clips(session_id: int) -> None:
    """Job: delete a cancelled session's practice clips, files and rows."""
    with job_context():
        clips.delete_session_clips(session_id)


def sweep_orphaned_clips() -> None:
    """Periodic: delete the clips of cancelled sessions that a lost or failed job left behind."""
    with job_context():
        for session_id in clips.sessions_with_orphaned_clips():
            enqueue(f"{__name__}.delete_session_clips", session_id)


def settle_no_show(report_id: int) -> None:
    """Job: refund the fan of an undisputed player no-show whose time to dispute is over."""
    with job_context():
        no_shows.settle(report_id)


def settle_no_shows() -> None:
    """Periodic: one settle job per player no-show report no longer open to dispute."""
    with job_context():
        for report_id in no_shows.due_report_ids():
            enqueue(f"{__name__}.settle_no_show", report_id)


def run_waitlist(player_id: int) -> None:
    """Job: offer a player's freed times to the first fans in line, lapse run-out offers."""
    with job_context():
        waitlist.run(player_id)


def run_waitlists() -> None:
    """Periodic: run every player's line (offers run out, and times open without a cancellation)."""
    with job_context():
        for player_id in waitlist.players_to_run():
            enqueue(f"{__name__}.run_waitlist", player_id)


def expire_package_credits() -> None:
    """Periodic: tell fans a week before their package credits expire, and expire those past it."""
    with job_context():
        packages.send_expiry_notices()
        packages.expire_credits()


def execute_refund(refund_id: int) -> None:
    """Job: carry out one refund at Stripe (idempotent: the row's key goes with every attempt)."""
    with job_context():
        refunds.execute_refund(refund_id)


def retry_refunds() -> None:
    """Periodic: re-run refunds that failed and are due, or whose job was lost."""
    with job_context():
        for refund_id in refunds.due_refund_ids():
            enqueue(f"{__name__}.execute_refund", refund_id)


def expire_checkouts(session_id: int) -> None:
    """Job: expire a cancelled booking's open Checkouts at Stripe, so they cannot be paid."""
    with job_context():
        checkout.close_checkouts(session_id)


def reconcile_checkouts() -> None:
    """Periodic: settle Checkouts past their expiry whose webhook never arrived."""
    with job_context():
        checkout.reconcile_open_checkouts()


def stripe_sandbox_tick() -> None:
    """Periodic, offline sandbox only: expire due Checkouts and (re)send its webhooks."""
    with job_context():
        stripe_sandbox_clock.tick(current_app._get_current_object())
