"""Coach notes: who writes and reads them, where on the recording they may sit, publishing, chapters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kendama.extensions import db, mail
from kendama.models import CoachNote, Notification, Trick
from kendama.services.coaching import chapters, notes
from kendama.services.errors import InvalidInput, NotAllowed, NotFound, WrongState
from kendama.tasks.queue import dispatch_committed

from ..support.factories import AdminFactory, FanFactory, LiveSessionFactory
from ..support.video_support import recording_part

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
LESSON_START = NOW - timedelta(days=1)


def lesson(status: str = "completed", **fields):
    start = fields.pop("starts_at", LESSON_START)
    return LiveSessionFactory(
        status=status,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        **fields,
    )


def recording(session, status: str = "ready", *, duration: int | None = 600, minutes_after: int = 0):
    return recording_part(session, status, minutes_after=minutes_after, duration=duration)


def any_trick() -> Trick:
    return db.session.scalar(select(Trick).where(Trick.retired_at.is_(None)).order_by(Trick.id).limit(1))


# --- writing ------------------------------------------------------------------------------


def test_player_writes_a_note_within_the_recording():
    session = lesson()
    part = recording(session)
    spike = any_trick()
    note = notes.add_note(session.player, session.id, 462, "  Bend the knees  ", spike.id, now=NOW)
    assert (note.recording_id, note.at_seconds, note.text, note.trick_id) == (part.id, 462, "Bend the knees", spike.id)
    assert note.source == "note" and note.published_at is None and note.author_id == session.player_id
    assert notes.add_note(session.player, session.id, 600, "The very end", now=NOW).at_seconds == 600


def test_a_note_on_a_named_part_is_bounded_by_that_part():
    session = lesson()
    recording(session, duration=600)
    second = recording(session, duration=60, minutes_after=15)
    assert notes.add_note(
        session.player, session.id, 60, "Second part", recording_id=second.id, now=NOW
    ).recording_id == (second.id)
    with pytest.raises(InvalidInput) as refused:
        notes.add_note(session.player, session.id, 61, "Past its end", recording_id=second.id, now=NOW)
    assert set(refused.value.fields) == {"at_seconds"}


@pytest.mark.parametrize("at_seconds", [601, -1])
def test_a_moment_outside_the_recording_is_refused(at_seconds):
    session = lesson()
    recording(session, duration=600)
    with pytest.raises(InvalidInput) as refused:
        notes.add_note(session.player, session.id, at_seconds, "Too late", now=NOW)
    assert set(refused.value.fields) == {"at_seconds"}


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_text_is_one_to_2000_characters(text):
    session = lesson()
    recording(session)
    with pytest.raises(InvalidInput) as refused:
        notes.add_note(session.player, session.id, 1, text, now=NOW)
    assert set(refused.value.fields) == {"text"}
    assert len(notes.add_note(session.player, session.id, 1, "x" * 2000, now=NOW).text) == 2000


def test_unknown_and_retired_tricks_are_refused():
    session = lesson()
    recording(session)
    retired = any_trick()
    retired.retired_at = NOW
    db.session.commit()
    for trick_id in (retired.id, 999_999):
        with pytest.raises(InvalidInput) as refused:
            notes.add_note(session.player, session.id, 1, "Hm", trick_id, now=NOW)
        assert refused.value.fields == {"trick_id": "Choose a trick from the catalog."}


def test_only_the_sessions_player_writes():
    session = lesson()
    recording(session)
    with pytest.raises(NotAllowed, match="Only the session's player writes coach notes."):
        notes.add_note(session.fan, session.id, 1, "Me too", now=NOW)
    with pytest.raises(NotAllowed):
        notes.add_note(AdminFactory(), session.id, 1, "Admin", now=NOW)
    with pytest.raises(NotFound):
        notes.add_note(FanFactory(), session.id, 1, "Stranger", now=NOW)
    assert db.session.scalar(select(CoachNote.id)) is None


def test_a_note_needs_a_started_lesson_with_a_ready_recording():
    upcoming = lesson("confirmed", starts_at=NOW + timedelta(days=1))
    with pytest.raises(WrongState):
        notes.add_note(upcoming.player, upcoming.id, 1, "Too soon", now=NOW)
    unrecorded = lesson()
    recording(unrecorded, "in_progress", duration=None)
    with pytest.raises(WrongState, match="There is no recording to write notes on yet."):
        notes.add_note(unrecorded.player, unrecorded.id, 1, "Nothing yet", now=NOW)


# --- markers in the call --------------------------------------------------------------------


def test_a_marker_is_timed_from_the_part_being_recorded():
    session = lesson("in_progress", starts_at=NOW - timedelta(minutes=10), started_at=NOW - timedelta(minutes=9))
    part = recording(session, "in_progress", duration=None, minutes_after=2)  # started 8 minutes ago
    marker = notes.add_note(session.player, session.id, None, "", source="marker", now=NOW)
    assert (marker.source, marker.text, marker.at_seconds, marker.recording_id) == ("marker", "Marker", 480, part.id)


def test_a_marker_before_any_recording_is_timed_from_the_start_of_the_call():
    session = lesson("in_progress", starts_at=NOW - timedelta(minutes=10), started_at=NOW - timedelta(minutes=9))
    marker = notes.add_note(session.player, session.id, None, "Nice catch", source="marker", now=NOW)
    assert (marker.at_seconds, marker.recording_id, marker.text) == (540, None, "Nice catch")


def test_markers_only_during_the_lesson():
    session = lesson()
    with pytest.raises(WrongState):
        notes.add_note(session.player, session.id, None, "", source="marker", now=NOW)


# --- reading, publishing, deleting ------------------------------------------------------------


def test_the_fan_sees_only_published_notes_in_recording_order():
    session = lesson()
    first, second = recording(session), recording(session, minutes_after=15)
    late = notes.add_note(session.player, session.id, 90, "Late in part 1", now=NOW)
    other = notes.add_note(session.player, session.id, 5, "Part 2", recording_id=second.id, now=NOW)
    early = notes.add_note(session.player, session.id, 10, "Early in part 1", now=NOW)
    assert first.id < second.id
    assert [n.id for n in notes.notes_for_viewer(session.player, session.id)] == [early.id, late.id, other.id]
    assert notes.notes_for_viewer(session.fan, session.id) == []
    assert notes.publish_notes(session.player, session.id, now=NOW) == 3
    notes.add_note(session.player, session.id, 20, "Not yet published", now=NOW)
    assert [n.id for n in notes.notes_for_viewer(session.fan, session.id)] == [early.id, late.id, other.id]
    assert len(notes.notes_for_viewer(AdminFactory(), session.id)) == 4
    with pytest.raises(NotFound):
        notes.notes_for_viewer(FanFactory(), session.id)


def test_publishing_emails_the_fan_once_per_batch():
    session = lesson()
    recording(session)
    notes.add_note(session.player, session.id, 462, "Bend the <knees>", any_trick().id, now=NOW)
    notes.add_note(session.player, session.id, 5, "Warm up", now=NOW)
    with mail.record_messages() as sent:
        assert notes.publish_notes(session.player, session.id, now=NOW) == 2
        dispatch_committed()
    (message,) = sent
    assert session.fan.email in message.recipients[0]
    assert "07:42" in message.body and "00:05" in message.body and "Warm up" in message.body
    assert "Bend the &lt;knees&gt;" in message.html
    assert f"/sessions/{session.id}/recording" in message.html
    with mail.record_messages() as sent:
        assert notes.publish_notes(session.player, session.id, now=NOW) == 0
        dispatch_committed()
    assert sent == []
    kinds = db.session.scalars(select(Notification.kind).where(Notification.session_id == session.id)).all()
    assert kinds.count("coach_notes_published") == 1


def test_only_the_player_publishes_and_deletes():
    session = lesson()
    recording(session)
    note = notes.add_note(session.player, session.id, 1, "Keep", now=NOW)
    with pytest.raises(NotAllowed):
        notes.publish_notes(session.fan, session.id, now=NOW)
    with pytest.raises(NotAllowed):
        notes.delete_note(session.fan, session.id, note.id)
    with pytest.raises(NotFound):
        notes.delete_note(session.player, lesson().id, note.id)
    notes.delete_note(session.player, session.id, note.id)
    assert db.session.get(CoachNote, note.id) is None


# --- chapters ------------------------------------------------------------------------------


def test_chapters_track_runs_each_note_to_the_next_and_the_last_to_the_end():
    session = lesson()
    recording(session, duration=3725)
    first = notes.add_note(session.player, session.id, 462, "Bend the knees\nand more", any_trick().id, now=NOW)
    notes.add_note(session.player, session.id, 3601, "Fish & <chips> --> later", now=NOW)
    assert chapters.chapters_vtt(notes.notes_for_viewer(session.player, session.id), 3725) == (
        "WEBVTT\n"
        "\n"
        "00:07:42.000 --> 01:00:01.000\n"
        f"{first.trick.name}: Bend the knees\n"
        "\n"
        "01:00:01.000 --> 01:02:05.000\n"
        "Fish &amp; &lt;chips&gt; --&gt; later\n"
    )


def test_notes_at_the_same_second_share_a_chapter():
    session = lesson()
    recording(session, duration=100)
    notes.add_note(session.player, session.id, 10, "One", now=NOW)
    notes.add_note(session.player, session.id, 10, "Two", now=NOW)
    track = chapters.chapters_vtt(notes.notes_for_viewer(session.player, session.id), 100)
    assert track == "WEBVTT\n\n00:00:10.000 --> 00:01:40.000\nOne / Two\n"


def test_chapters_for_viewer_follow_the_fans_view():
    session = lesson()
    recording(session, duration=100)
    notes.add_note(session.player, session.id, 10, "Draft", now=NOW)
    assert chapters.chapters_for_viewer(session.fan, session.id) == "WEBVTT\n"
    assert "Draft" in chapters.chapters_for_viewer(session.player, session.id)
    with pytest.raises(NotFound):
        chapters.chapters_for_viewer(FanFactory(), session.id)
