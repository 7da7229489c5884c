"""The rollout switch at each position, for each pair of allowlist entries, and who may move it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import BetaAllowlistEntry, PlatformSetting
from kendama.services.access import ADMINS_ONLY
from kendama.services.booking import rollout
from kendama.services.errors import InvalidInput, NotAllowed, NotFound, Refusal, WrongState

from ..support.factories import AdminFactory, FanFactory, PlayerFactory

pytestmark = pytest.mark.both_databases

NOT_OPEN = Refusal("sessions_closed", "Live sessions are not open yet.")
FAN_NOT_IN = Refusal("closed_beta", "Live sessions are in a closed beta for now, and you are not on the beta list yet.")
PLAYER_NOT_IN = Refusal("closed_beta", "Live sessions are in a closed beta for now, and this player is not in it yet.")
VISITOR = Refusal(
    "closed_beta", "Live sessions are in a closed beta for now: only people on the beta list can book.", final=False
)


@pytest.mark.parametrize(
    ("stored", "fan", "player", "expected"),
    [
        ("everyone", False, False, None),
        ("everyone", None, False, None),
        ("off", True, True, NOT_OPEN),
        ("off", None, True, NOT_OPEN),
        ("beta", True, True, None),
        ("beta", False, True, FAN_NOT_IN),
        ("beta", False, False, FAN_NOT_IN),  # the fan's own entry is what they are told about first
        ("beta", True, False, PLAYER_NOT_IN),
        ("beta", None, False, PLAYER_NOT_IN),  # a visitor is told the player is not in it, for good
        ("beta", None, True, VISITOR),  # a visitor may yet be allowed once signed in
    ],
)
def test_refusal_for_each_position_and_allowlist(app, stored, fan, player, expected):
    assert rollout.refusal(rollout.Gate(stored, fan, player)) == expected


@pytest.mark.parametrize(("default", "position"), [("off", "OFF"), ("beta", "BETA"), ("everyone", "EVERYONE")])
def test_until_an_admin_sets_it_the_switch_is_the_configured_default(app, monkeypatch, default, position):
    monkeypatch.setitem(app.config, "LIVE_SESSIONS_DEFAULT", default)
    assert rollout.state() is rollout.LiveSessions[position]
    assert rollout.refusal(rollout.Gate(None, True, True)) == (NOT_OPEN if default == "off" else None)


def test_a_stored_position_wins_over_the_default(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_SESSIONS_DEFAULT", "everyone")
    admin = AdminFactory()
    assert rollout.set_state(admin, "off") is rollout.LiveSessions.OFF
    assert rollout.state() is rollout.LiveSessions.OFF
    assert rollout.set_state(admin, "beta") is rollout.LiveSessions.BETA  # the one row is updated
    assert [(s.key, s.value) for s in db.session.query(PlatformSetting).all()] == [("live_sessions", "beta")]
    assert rollout.state() is rollout.LiveSessions.BETA


def test_a_bad_position_names_the_choices_and_changes_nothing(app):
    admin = AdminFactory()
    rollout.set_state(admin, "beta")
    with pytest.raises(InvalidInput) as caught:
        rollout.set_state(admin, "sometimes")
    assert caught.value.fields == {"state": "Choose off, beta or everyone."}
    assert rollout.state() is rollout.LiveSessions.BETA


def test_the_gate_reads_the_switch_and_both_entries(app):
    admin, fan, player = AdminFactory(), FanFactory(), PlayerFactory()
    rollout.set_state(admin, "beta")
    assert rollout.gate(fan.id, player.id) == rollout.Gate("beta", False, False)
    rollout.add_to_allowlist(admin, player.email)
    assert rollout.gate(fan.id, player.id) == rollout.Gate("beta", False, True)
    assert rollout.gate(None, player.id) == rollout.Gate("beta", None, True)  # a visitor: not known yet
    rollout.add_to_allowlist(admin, fan.email)
    assert rollout.gate(fan.id, player.id) == rollout.Gate("beta", True, True)
    assert rollout.may_book(fan.id, player.id)
    rollout.check_gate(rollout.gate(fan.id, player.id))  # no refusal


def test_check_gate_raises_the_refusal_with_its_code(app):
    with pytest.raises(NotAllowed) as caught:
        rollout.check_gate(rollout.Gate("off", True, True))
    assert (caught.value.code, caught.value.message, caught.value.status) == (
        "sessions_closed",
        "Live sessions are not open yet.",
        403,
    )
    with pytest.raises(NotAllowed) as beta:
        rollout.check_gate(rollout.Gate("beta", True, False))
    assert (beta.value.code, beta.value.message) == (PLAYER_NOT_IN.code, PLAYER_NOT_IN.message)


def test_the_allowlist_takes_an_email_as_typed_once_and_lists_by_email(app):
    admin = AdminFactory()
    later, earlier = FanFactory(email="zoe@example.com"), PlayerFactory(email="abe@example.com")
    assert rollout.add_to_allowlist(admin, "  ZOE@Example.com ") == later
    assert rollout.add_to_allowlist(admin, "zoe@example.com") == later  # again: still one entry
    rollout.add_to_allowlist(admin, earlier.email)
    assert rollout.allowlist() == [earlier, later]
    assert db.session.query(BetaAllowlistEntry).count() == 2
    assert rollout.is_allowlisted(later.id) and not rollout.is_allowlisted(admin.id)
    rollout.remove_from_allowlist(admin, later.id)
    assert rollout.allowlist() == [earlier]


def test_an_unknown_email_is_named_on_its_field(app):
    with pytest.raises(NotFound) as caught:
        rollout.add_to_allowlist(AdminFactory(), "ghost@example.com")
    assert (caught.value.message, caught.value.fields) == (
        "No account has that email.",
        {"email": "No account has that email."},
    )
    with pytest.raises(NotFound):
        rollout.add_to_allowlist(AdminFactory(), None)


@pytest.mark.parametrize(
    "act",
    [
        lambda user, other: rollout.set_state(user, "off"),
        lambda user, other: rollout.add_to_allowlist(user, other.email),
        lambda user, other: rollout.remove_from_allowlist(user, other.id),
    ],
    ids=["switch", "add", "remove"],
)
def test_only_admins_move_the_switch_or_the_allowlist(app, act):
    admin, fan, player = AdminFactory(), FanFactory(), PlayerFactory()
    rollout.add_to_allowlist(admin, fan.email)
    for outsider in (fan, player):
        with pytest.raises(NotAllowed) as caught:
            act(outsider, fan)
        assert caught.value.message == ADMINS_ONLY
    assert rollout.state() is rollout.LiveSessions.EVERYONE
    assert rollout.allowlist() == [fan]


def test_the_gate_columns_are_named_for_a_callers_own_query(app):
    """Booking reads them by name in its one statement (booking._read_for_booking)."""
    admin, fan, player = AdminFactory(), FanFactory(), PlayerFactory()
    rollout.set_state(admin, "beta")
    rollout.add_to_allowlist(admin, fan.email)
    row = db.session.execute(select(*rollout.gate_columns(fan.id, player.id))).one()
    assert dict(row._mapping) == {"stored_state": "beta", "fan_allowlisted": True, "player_allowlisted": False}


LIVE_KEYS = {
    "STRIPE_SECRET_KEY": "sk_live_configured",
    "STRIPE_WEBHOOK_SECRET": "whsec_configured",
    "DAILY_API_KEY": "daily-configured",
    "DAILY_WEBHOOK_SECRET": "ZGFpbHktY29uZmlndXJlZA==",
}


def test_the_rollout_switch_does_not_open_live_sessions_without_the_keys(app, monkeypatch):
    admin = AdminFactory()
    monkeypatch.setitem(app.config, "PRODUCTION", True)
    for name, value in LIVE_KEYS.items():
        monkeypatch.setitem(app.config, name, value if name != "DAILY_API_KEY" else None)
    with pytest.raises(WrongState) as refused:
        rollout.set_state(admin, "beta")
    assert (refused.value.code, refused.value.message) == (
        "providers_not_configured",
        "Live sessions cannot open before payments and video calls are configured: DAILY_API_KEY not set.",
    )
    monkeypatch.setitem(app.config, "PRODUCTION", False)  # development and tests: the sandboxes stand in
    assert rollout.set_state(admin, "beta") is rollout.LiveSessions.BETA
    monkeypatch.setitem(app.config, "PRODUCTION", True)
    assert rollout.set_state(admin, "off") is rollout.LiveSessions.OFF
    monkeypatch.setitem(app.config, "DAILY_API_KEY", "daily-configured")
    assert rollout.set_state(admin, "everyone") is rollout.LiveSessions.EVERYONE


def test_the_refusal_names_every_missing_key(app, monkeypatch):
    monkeypatch.setitem(app.config, "PRODUCTION", True)
    for name, value in LIVE_KEYS.items():
        monkeypatch.setitem(app.config, name, None if name in ("STRIPE_SECRET_KEY", "DAILY_API_KEY") else value)
    with pytest.raises(WrongState) as refused:
        rollout.set_state(AdminFactory(), "everyone")
    assert refused.value.message.endswith(": STRIPE_SECRET_KEY, DAILY_API_KEY not set.")
