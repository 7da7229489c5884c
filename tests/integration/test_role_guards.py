"""Every service that a role gates refuses the other roles through the one guard of that role
(kendama/services/access.py), with its one wording, whoever calls it: page, API or command."""

from __future__ import annotations

import pytest

from kendama.services import feedback, oversight
from kendama.services.access import ADMINS_ONLY, PLAYERS_ONLY, require_admin, require_player
from kendama.services.accounts import profiles
from kendama.services.booking import availability, rollout
from kendama.services.calendars import imports
from kendama.services.errors import NotAllowed
from kendama.services.notifications import sweep
from kendama.services.payments import earnings, payouts, refunds
from kendama.services.video import demo_calls, recordings

from ..support.factories import AdminFactory, FanFactory, PlayerFactory

ADMIN_SERVICES = {
    "oversight.overview": lambda user: oversight.overview(user),
    "oversight.find_sessions": lambda user: oversight.find_sessions(user, None, "UTC"),
    "rollout.set_state": lambda user: rollout.set_state(user, "everyone"),
    "rollout.add_to_allowlist": lambda user: rollout.add_to_allowlist(user, "someone@example.org"),
    "rollout.remove_from_allowlist": lambda user: rollout.remove_from_allowlist(user, 1),
    "earnings.platform_revenue": lambda user: earnings.platform_revenue(user),
    "profiles.verify_player": lambda user: profiles.verify_player(user, 1),
    "refunds.retry_now": lambda user: refunds.retry_now(user, 1),
    "refunds.troubled_refunds": lambda user: refunds.troubled_refunds(user),
    "recordings.all_recordings": lambda user: recordings.all_recordings(user),
    "recordings.oversight": lambda user: recordings.oversight(user, 1),
    "feedback.all_feedback": lambda user: feedback.all_feedback(user),
    "outbox.problems": lambda user: sweep.problems(user),
    "outbox.problem_counts": lambda user: sweep.problem_counts(user),
    "outbox.retry": lambda user: sweep.retry(user, 1),
}

PLAYER_SERVICES = {
    "demo_calls.start_test_call": lambda user: demo_calls.start_test_call(user),
    "earnings.player_earnings": lambda user: earnings.player_earnings(user),
    "profiles.own_player_profile": lambda user: profiles.own_player_profile(user),
    "profiles.update_profile": lambda user: profiles.update_profile(user),
    "availability.set_availability": lambda user: availability.set_availability(
        user, availability.AvailabilityInput(timezone="UTC")
    ),
    "payouts.payout_profile": lambda user: payouts.payout_profile(user),
    "calendars.imports.import_status": lambda user: imports.import_status(user),
}


@pytest.fixture
def test_calls_allowed(app, monkeypatch):
    monkeypatch.setitem(app.config, "TEST_CALLS_ALLOWED", True)  # else the test call is a 404 first


@pytest.mark.parametrize("service", ADMIN_SERVICES)
@pytest.mark.parametrize("role", [FanFactory, PlayerFactory], ids=["fan", "player"])
def test_admin_services_refuse_everyone_else_in_one_wording(app, service, role):
    with pytest.raises(NotAllowed) as refused:
        ADMIN_SERVICES[service](role())
    assert refused.value.message == ADMINS_ONLY


@pytest.mark.parametrize("service", PLAYER_SERVICES)
@pytest.mark.parametrize("role", [FanFactory, AdminFactory], ids=["fan", "admin"])
def test_player_services_refuse_everyone_else_in_one_wording(app, test_calls_allowed, service, role):
    with pytest.raises(NotAllowed) as refused:
        PLAYER_SERVICES[service](role())
    assert refused.value.message == PLAYERS_ONLY


def test_the_guards_let_their_own_role_through(app):
    require_admin(AdminFactory())
    require_player(PlayerFactory())
    assert refunds.troubled_refunds(AdminFactory()) == []
