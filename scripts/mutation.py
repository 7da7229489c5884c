"""Mutation testing of the rule modules with mutmut 3 (run it through scripts/mutation.sh).

Each rule module is mutated in a working folder of its own, mutants/<module>/, against only the
test files that cover it (MODULES below), so one module takes minutes rather than a full suite
per mutant. The folder holds links to the project and a pyproject.toml that is the project's own
with the module's `only_mutate` and test selection added to [tool.mutmut]; mutmut keeps its state
there, so a second run only re-tests what changed, and `cd mutants/<module> && mutmut show NAME`
(or `mutmut browse`) shows a mutant. docs/testing.md holds the latest table and the equivalent
mutants.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).parent / "mutmut"


@dataclass(frozen=True)
class Target:
    """A rule module: the file mutated, the test files that cover it, and which of its functions.

    `functions` are mutmut name patterns (fnmatch; a method is `xǁClassǁname`): where a module
    mixes pure rules with database work, its pure core is what is mutated. Empty: all of it.
    """

    source: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()

    @property
    def dotted(self) -> str:
        return self.source.removesuffix(".py").replace("/", ".")

    def patterns(self) -> list[str]:
        """The mutants to run, named: mutmut re-tests a named mutant even if it has a result."""
        return [f"{self.dotted}.{function}__mutmut_*" for function in self.functions or ("*",)]

    def selects(self, mutant: str) -> bool:
        return any(fnmatch(mutant, pattern) for pattern in self.patterns())


# Unit and service tests where they cover the module; the integration tests named are the ones that
# reach its rules.
MODULES: dict[str, Target] = {
    "money": Target(
        "kendama/services/payments/money.py", ("tests/service/test_money.py", "tests/unit/test_refund_rounding.py")
    ),
    "policy": Target(
        "kendama/services/booking/policy.py", ("tests/service/test_policy.py", "tests/unit/test_refund_rounding.py")
    ),
    "slots": Target(
        "kendama/services/booking/slots.py",
        (
            "tests/service/test_slots.py",
            "tests/unit/test_slot_properties.py",
            "tests/service/test_availability.py",
            "tests/service/test_booking.py",
        ),
        # the pure computation: windows, DST edges, the grid, conflicts, freshness, grouping
        (
            "xǁRulesǁbooking_window",
            "x__rules",
            "x__edges",
            "x_windows",
            "x__forbidden_starts",
            "x_compute_slots",
            "x__margin",
            "x_fresh_until",
            "x_group_by_day",
        ),
    ),
    "join_tokens": Target(
        "kendama/services/video/join_tokens.py",
        ("tests/service/test_join_tokens.py", "tests/service/test_join_token_store.py"),
    ),
    "join_window": Target(
        "kendama/services/video/calls.py",
        ("tests/service/test_join_window.py", "tests/service/test_video.py", "tests/service/test_join_tokens.py"),
        # when the room opens and who may enter it, with which token
        ("x_opens_at", "x_window_open", "x_room_name_for", "x__check_joinable", "x_join", "x__token_request"),
    ),
    "rollout": Target(
        "kendama/services/booking/rollout.py",
        (
            "tests/service/test_rollout.py",
            "tests/integration/test_rollout_feedback.py",
        ),
    ),
    "earnings": Target("kendama/services/payments/earnings.py", ("tests/service/test_earnings.py",)),
    "refunds": Target(
        "kendama/services/payments/refunds.py",
        ("tests/service/test_refunds.py", "tests/unit/test_refund_rounding.py"),
        # the promise, Stripe's answers, retries and the sweep (the webhook re-reads call Stripe)
        (
            "x_paid_payment",
            "x_request_refund",
            "x_refund_payment",
            "x_fee_share",
            "x__add_refund",
            "x__already_refunded",
            "x_refunds_of",
            "x_execute_refund",
            "x__record",
            "x__failed",
            "x__apply_state",
            "x__schedule_retry",
            "x__give_up",
            "x_due_refund_ids",
            "x_retry_now",
            "x_troubled_refunds",
        ),
    ),
    "payouts": Target(
        "kendama/services/payments/payouts.py",
        ("tests/service/test_payouts.py",),
        # what an account means and what follows from it; onboarding and links with Stripe recorded
        (
            "x__player_profile",
            "x_payout_profile",
            "x_start_onboarding",
            "x_dashboard_link",
            "x_refresh_state",
            "x_reread_account",
            "x_apply_account",
            "x_payout_state",
            "x__apply_state",
            "x_destination_account",
            "x__adopt_in_sandbox",
        ),
    ),
    "recordings": Target(
        "kendama/services/video/recordings.py",
        ("tests/service/test_recording_access.py",),
        # who sees a recording through which link, and share links (syncing from the provider aside)
        (
            "xǁRecordingPartǁlabel",
            "x_parts_of_sessions",
            "x_main_part",
            "x_recording_of_session",
            "x__main_part",
            "x_grant_for",
            "x__open",
            "x__log",
            "x_media_link",
            "x_captions",
            "x_shown_parts",
            "xǁRecordingPageǁready",
            "x_parts_for_viewer",
            "x__digest",
            "x_active_share_link",
            "x_create_share_link",
            "x_revoke_share_links",
            "x_revoke_share_links_of_session",
            "x__revoke",
            "x__active_share_link",
            "x_shared_view",
        ),
    ),
    "booking": Target(
        "kendama/services/booking/lifecycle.py",
        ("tests/service/test_booking.py", "tests/service/test_booking_lifecycle.py"),
        # the lifecycle: create, the hold and its release, reschedule, cancel, what the viewer may do
        (
            "x_create_session",
            "x__hold_end",
            "x_expire_holds",
            "x_actor_role",
            "x_reschedule",
            "x_cancel_refusal",
            "x__check_cancellable",
            "x_cancellation_quote",
            "x__quote",
            "x_cancel",
            "x_available_actions",
        ),
    ),
    "completion": Target(
        "kendama/services/video/calls.py",
        ("tests/service/test_session_completion.py", "tests/service/test_video.py"),
        # how a session ends: completed at its end, ended by the player, or a no-show
        (
            "x_finish_ended_sessions",
            "x_can_end_lesson",
            "x_end_lesson",
            "x__check_endable",
            "x_can_mark_no_show",
            "x_mark_no_show",
        ),
    ),
}

# mutmut's exit codes, grouped the way the table counts them (mutmut/stats.py).
DETECTED = {"killed", "timeout", "caught by type check", "segfault"}


def prepare(name: str) -> Path:
    """mutants/<name>/: links to the project and the module's pyproject.toml."""
    target = MODULES[name]
    work = ROOT / "mutants" / name
    work.mkdir(parents=True, exist_ok=True)
    for entry in ("kendama", "tests", "migrations", "app.py", "worker.py"):
        link = work / entry
        if not link.is_symlink():
            link.symlink_to(ROOT / entry)
    lines = []
    for line in (ROOT / "pyproject.toml").read_text().splitlines():
        lines.append(line)
        if line.strip() == "[tool.mutmut]":
            lines.append(f"only_mutate = {json.dumps([target.source])}")
            lines.append(f"pytest_add_cli_args_test_selection = {json.dumps(list(target.tests))}")
    (work / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return work


def statuses(name: str) -> dict[str, str]:
    """Mutant name -> mutmut's status for the module's last run."""
    from mutmut.stats import status_by_exit_code

    target = MODULES[name]
    meta = ROOT / "mutants" / name / "mutants" / (target.source + ".meta")
    if not meta.exists():
        return {}
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {mutant: status_by_exit_code[code] for mutant, code in codes.items() if target.selects(mutant)}


def run(name: str, max_children: int, only: list[str] | None = None) -> int:
    work = prepare(name)
    target = MODULES[name]
    part = f" ({', '.join(target.functions)})" if target.functions else ""
    print(f"== {name}: {target.source}{part} against {' '.join(target.tests)}", flush=True)
    patterns = [f"{target.dotted}.{function}__mutmut_*" for function in only] if only else target.patterns()
    command = [str(MUTMUT), "run", "--max-children", str(max_children), *patterns]
    return subprocess.call(command, cwd=work)


def report(name: str, show: bool) -> None:
    found = statuses(name)
    counts = Counter(found.values())
    detected = sum(counts[s] for s in DETECTED)
    others = ", ".join(f"{s} {n}" for s, n in sorted(counts.items()) if s not in DETECTED | {"survived"})
    print(
        f"{name}: {len(found)} mutants, {detected} killed (timeouts included: {counts['timeout']}), "
        f"{counts['survived']} survived" + (f", {others}" if others else "")
    )
    for mutant, status in sorted(found.items()):
        if status not in DETECTED:
            print(f"    {status}: {mutant}", flush=True)
            if show:
                subprocess.call([str(MUTMUT), "show", mutant], cwd=ROOT / "mutants" / name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"rule modules (default: all): {', '.join(MODULES)}")
    parser.add_argument("--max-children", type=int, default=int(os.environ.get("MUTATION_CHILDREN", "2")))
    parser.add_argument("--report", action="store_true", help="only print the last run's results")
    parser.add_argument("--show", action="store_true", help="print each surviving mutant's diff")
    parser.add_argument(
        "--only", nargs="+", metavar="FUNCTION", help="re-test only these functions' mutants (mutmut names)"
    )
    args = parser.parse_args()
    names = args.modules or list(MODULES)
    unknown = [name for name in names if name not in MODULES]
    if unknown:
        parser.error(f"not a rule module: {', '.join(unknown)} (one of {', '.join(MODULES)})")
    failed = 0
    for name in names:
        if not args.report and run(name, args.max_children, args.only) != 0:
            failed += 1
    print()
    for name in names:
        report(name, args.show)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
