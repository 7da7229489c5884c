"""Young fans: who counts as one, the guardian asked and their choices, what booking and consent
then allow, and the guardian's copies and cancel link."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kendama.extensions import db, mail
from kendama.models import ConsentRecord, GuardianConsent, Notification, User, utcnow
from kendama.services.accounts import accounts, guardians
from kendama.services.booking import eligibility, guardian_cancel, lifecycle
from kendama.services.coaching import progress
from kendama.services.errors import InvalidInput, NotAllowed
from kendama.services.video import recording_consent
from kendama.tasks.queue import dispatch_committed

from ..support.booking_helpers import weekday_at
from ..support.factories import FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

GUARDIAN = "parent@example.com"
THIS_YEAR = utcnow().year


def young_fan(age: int = 13) -> tuple[User, GuardianConsent]:
    fan = FanFactory(birth_year=THIS_YEAR - age)
    consent = guardians.name_guardian(fan, GUARDIAN)
    db.session.commit()
    return fan, consent


def approve(consent: GuardianConsent, **allowed) -> GuardianConsent:
    return guardians.approve(guardians.consent_token(consent), guardians.Allowances(**allowed))


def kinds() -> list[str]:
    return list(db.session.scalars(select(Notification.kind).order_by(Notification.id)))


# --- Who is young ------------------------------------------------------------------------------


def test_the_age_counts_from_the_birth_year_the_cautious_way():
    # In the year a fan turns 16 they may not have had the birthday yet: still young.
    assert guardians.is_minor_by_year(THIS_YEAR - 16)
    assert not guardians.is_minor_by_year(THIS_YEAR - 17)
    assert guardians.is_minor_by_year(THIS_YEAR - 3)
    assert not guardians.is_minor_by_year(None)  # declared none: an adult


@pytest.mark.parametrize("year", [1899, THIS_YEAR + 1, 20101, -2010, 0])
def test_a_birth_year_outside_1900_to_this_year_is_refused(year):
    with pytest.raises(InvalidInput) as refused:
        accounts.register_user("year@example.com", "long-enough-pw-9", "Yara", "fan", "UTC", birth_year=year)
    assert set(refused.value.fields) == {"birth_year"}


def test_a_young_fan_must_name_a_guardian_who_is_not_themselves():
    young = THIS_YEAR - 12
    with pytest.raises(InvalidInput) as refused:
        accounts.register_user("kid@example.com", "long-enough-pw-9", "Kid", "fan", "UTC", birth_year=young)
    assert "need a parent or guardian" in refused.value.fields["guardian_email"]
    with pytest.raises(InvalidInput) as refused:
        accounts.register_user(
            "kid@example.com",
            "long-enough-pw-9",
            "Kid",
            "fan",
            "UTC",
            birth_year=young,
            guardian_email="KID@example.com",
        )
    assert "not yours" in refused.value.fields["guardian_email"]
    with pytest.raises(InvalidInput) as refused:
        accounts.register_user(
            "kid@example.com",
            "long-enough-pw-9",
            "Kid",
            "fan",
            "UTC",
            birth_year=young,
            guardian_email="not an address",
        )
    assert "valid email" in refused.value.fields["guardian_email"]


def test_a_young_fan_registered_through_the_api_has_a_pending_guardian_who_is_emailed_at_once():
    fan = accounts.register_user(
        "kid@example.com",
        "long-enough-pw-9",
        "Kid",
        "fan",
        "UTC",
        birth_year=THIS_YEAR - 12,
        guardian_email="Parent@Example.com",
    )
    status = guardians.status_of(fan)
    assert (status.required, status.status, status.guardian_email) == (True, "pending", GUARDIAN)
    assert status.allowances == guardians.NOTHING
    assert kinds() == ["guardian_request"]
    with mail.record_messages() as sent:
        dispatch_committed()
    (message,) = sent
    assert message.recipients == [f"Guardian of Kid <{GUARDIAN}>"]
    assert "/guardian/" in message.body and "Kid asks for your consent" in message.body


def test_adults_players_and_fans_without_a_year_need_no_guardian():
    adult = accounts.register_user("adult@example.com", "long-enough-pw-9", "Ada", "fan", "UTC", birth_year=1990)
    none_given = accounts.register_user("quiet@example.com", "long-enough-pw-9", "Quinn", "fan", "UTC")
    player = accounts.register_user(
        "young.player@example.com", "long-enough-pw-9", "Pat", "player", "UTC", birth_year=THIS_YEAR - 12
    )
    assert (adult.birth_year, none_given.birth_year, player.birth_year) == (1990, None, None)
    for user in (adult, none_given, player):
        status = guardians.status_of(user)
        assert (status.required, status.status, status.allowances) == (False, "none", guardians.EVERYTHING)
    assert db.session.scalar(select(GuardianConsent.id)) is None and kinds() == []


def test_the_page_registration_asks_the_guardian_only_once_the_fan_confirmed_their_address():
    accounts.start_registration(
        "kid@example.com",
        "long-enough-pw-9",
        "Kid",
        "fan",
        "UTC",
        birth_year=THIS_YEAR - 12,
        guardian_email=GUARDIAN,
    )
    assert kinds() == ["confirm_email"]
    user = db.session.scalar(select(User).where(User.email == "kid@example.com"))
    accounts.confirm_email(accounts.email_confirmation_token(user), "long-enough-pw-9")
    assert kinds() == ["confirm_email", "guardian_request"]


# --- Booking -----------------------------------------------------------------------------------


def test_until_the_guardian_confirms_the_fan_may_not_book():
    fan, _consent = young_fan()
    player = PlayerFactory()
    with pytest.raises(NotAllowed) as refused:
        lifecycle.create_session(fan, player.id, weekday_at(10), 30)
    assert refused.value.code == "guardian_consent_required"
    refusal = eligibility.booking_refusal(fan, player.profile, 30)
    assert refusal.code == "guardian_consent_required" and "guardian has not confirmed" in refusal.message


def test_the_guardian_allows_lessons_that_cost_nothing_only():
    fan, consent = young_fan()
    approve(consent, free_lessons=True)
    paid = PlayerFactory(setup__paid=True)
    with pytest.raises(NotAllowed) as refused:
        lifecycle.create_session(fan, paid.id, weekday_at(10), 30)
    assert refused.value.code == "guardian_forbids_paid"
    assert eligibility.booking_refusal(fan, paid.profile, 30).code == "guardian_forbids_paid"
    player = PlayerFactory()
    player.profile.recording_default = player.profile.sharing_default = True
    db.session.commit()
    with pytest.raises(NotAllowed) as refused:
        lifecycle.create_session(fan, player.id, weekday_at(10), 30, recording_consent=True)
    assert refused.value.code == "guardian_forbids_recording"
    session = lifecycle.create_session(fan, player.id, weekday_at(10), 30)
    assert session.status == "confirmed" and session.fan_is_minor
    # The player's defaults would share the recording; a minor's never is.
    assert (session.fan_recording_consent, session.player_sharing_consent, session.sharing_allowed) == (
        False,
        False,
        False,
    )


def test_paid_lessons_only_refuse_the_ones_that_cost_nothing():
    fan, consent = young_fan()
    approve(consent, paid_lessons=True)
    with pytest.raises(NotAllowed) as refused:
        lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    assert refused.value.code == "guardian_forbids_free"


def test_an_adult_books_as_before_and_is_no_minor():
    session = lifecycle.create_session(FanFactory(birth_year=1990), PlayerFactory().id, weekday_at(10), 30)
    assert not session.fan_is_minor


# --- Recording and sharing ---------------------------------------------------------------------


def test_a_young_fans_recording_is_never_shared_whatever_is_allowed():
    fan, consent = young_fan()
    approve(consent, free_lessons=True, recording=True, sharing=True)
    player = PlayerFactory()
    session = lifecycle.create_session(fan, player.id, weekday_at(10), 30, recording_consent=True)
    assert session.fan_recording_consent
    with pytest.raises(NotAllowed) as refused:
        recording_consent.set_consent(fan, session.id, recording=True, sharing=True)
    assert refused.value.code == "minor_recording_never_shared"
    recording_consent.set_consent(player, session.id, recording=True)
    with pytest.raises(NotAllowed):
        recording_consent.set_consent(player, session.id, recording=True, sharing=True)
    with pytest.raises(NotAllowed):
        recording_consent.set_sharing(player, session.id, allowed=True)
    assert not db.session.get(type(session), session.id).sharing_allowed


def test_taking_recording_back_withdraws_the_fans_consent_and_progress_sharing():
    fan, consent = young_fan()
    approve(consent, free_lessons=True, recording=True, sharing=True)
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30, recording_consent=True)
    progress.set_sharing(fan, True)
    approve(consent, free_lessons=True)
    db.session.refresh(session)
    assert not session.fan_recording_consent and not fan.progress_shared_with_players
    last = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.session_id == session.id).order_by(ConsentRecord.id.desc())
    ).first()
    assert (last.user_id, last.kind, last.granted) == (fan.id, "recording", False)
    with pytest.raises(NotAllowed) as refused:
        recording_consent.set_consent(fan, session.id, recording=True)
    assert refused.value.code == "guardian_forbids_recording"
    with pytest.raises(NotAllowed) as refused:
        progress.set_sharing(fan, True)
    assert refused.value.code == "guardian_forbids_sharing"


# --- Links, copies and the guardian's cancel ---------------------------------------------------


def test_naming_another_guardian_kills_the_old_link_and_starts_over():
    fan, consent = young_fan()
    old_link = guardians.consent_token(consent)
    approve(consent, free_lessons=True)
    guardians.name_guardian(fan, "other.parent@example.com")
    db.session.commit()
    assert guardians.status_of(fan).status == "pending"
    with pytest.raises(NotAllowed) as refused:
        guardians.consent_for_link(old_link)
    assert refused.value.code == "link_used"
    with pytest.raises(NotAllowed) as refused:
        guardians.consent_for_link(old_link + "x")
    assert refused.value.code == "link_invalid"
    # A cancel link is no consent link, even with the same data signed.
    with pytest.raises(NotAllowed):
        guardians.consent_for_link(guardians.cancel_token(consent, 1))


def test_the_guardian_gets_copies_and_cancels_under_the_fans_policy():
    fan, consent = young_fan()
    approve(consent, free_lessons=True)
    db.session.execute(db.delete(Notification))
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    with mail.record_messages() as sent:
        dispatch_committed()
    copies = [message for message in sent if GUARDIAN in message.recipients[0]]
    (copy,) = copies
    assert "This is your copy of the confirmation" in copy.body and "/guardian/cancel/" in copy.body
    assert not copy.attachments  # no invitation: the guardian is not at the lesson

    token = guardians.cancel_token(consent, session.id)
    shown, quote = guardian_cancel.quote(token)
    assert shown.id == session.id and quote.amount == 0
    result = guardian_cancel.cancel(token, "Homework first")
    assert (result.session.status, result.session.cancelled_by_role, result.session.cancelled_by_id) == (
        "cancelled",
        "guardian",
        None,
    )
    with mail.record_messages() as sent:
        dispatch_committed()
    by_recipient = {message.recipients[0]: message for message in sent}
    guardian_copy = next(message for to, message in by_recipient.items() if GUARDIAN in to)
    assert "You cancelled the session." in guardian_copy.body
    fan_copy = next(message for to, message in by_recipient.items() if fan.email in to)
    assert f"{fan.display_name}'s guardian cancelled the session." in fan_copy.body


def test_a_cancel_link_for_another_fans_session_or_an_old_guardian_is_refused():
    fan, consent = young_fan()
    approve(consent, free_lessons=True)
    other = lifecycle.create_session(FanFactory(), PlayerFactory().id, weekday_at(11), 30)
    with pytest.raises(NotAllowed):
        guardian_cancel.quote(guardians.cancel_token(consent, other.id))
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    token = guardians.cancel_token(consent, session.id)
    guardians.name_guardian(fan, "other.parent@example.com")
    db.session.commit()
    with pytest.raises(NotAllowed):
        guardian_cancel.cancel(token)
    assert session.status == "confirmed"


def test_copies_wait_for_an_approved_guardian():
    fan, consent = young_fan()
    approve(consent, free_lessons=True)
    session = lifecycle.create_session(fan, PlayerFactory().id, weekday_at(10), 30)
    consent.state = "pending"  # e.g. the fan named another guardian who has not answered yet
    db.session.commit()
    with mail.record_messages() as sent:
        dispatch_committed()
    assert not [message for message in sent if GUARDIAN in message.recipients[0]]
    skipped = db.session.scalar(select(Notification).where(Notification.kind == "guardian_booking_confirmed"))
    assert skipped.status == "skipped" and skipped.session_id == session.id
