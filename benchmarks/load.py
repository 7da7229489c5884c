"""Load benchmark: the app under gunicorn on PostgreSQL + Redis, driven by wrk from a second process.

    .venv/bin/python benchmarks/load.py [--duration 10] [--connections 32]

Starts (on free loopback ports) the app with gunicorn.conf.py, a second copy serving the video
sandbox as "the provider", a bare Flask "hello" app served the same way, and an RQ worker; seeds a
scratch database; runs wrk against each scenario; prints requests/s, p50/p99 latency, errors
(5xx and socket errors) and the ratio to the hello endpoint's throughput, then the peak RSS of a
gunicorn web worker and of the RQ worker. Needs `wrk` (Debian package; installed when missing).
Targets (2 cores): availability API >= 35 % of hello; p99 < 100 ms at 32 clients; zero errors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from harness import (  # noqa: I001 - harness puts the project root on sys.path first
    PYTHON,
    ROOT,
    MemorySampler,
    app_environment,
    free_port,
    gunicorn,
    scratch_database,
)

from kendama import create_app
from kendama.extensions import db
from kendama.models import LiveSession, Offering, Profile, SessionAvailability, User, WeeklyWindow, utcnow
from kendama.services.accounts import api_tokens

PLAYERS = 40
FANS = 300
LIVE_SESSIONS = 150

# Counts answers by status in Lua. Only the booking scenario uses it (it expects 409s beside its
# 201s): a Lua callback on every response costs wrk CPU, which it shares with the server.
STATUS_LUA = r"""
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
  errors = 0
  statuses = {}
end
function response(status, headers, body)
  if status >= 500 then errors = errors + 1 end
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total, seen = 0, {}
  for _, t in ipairs(threads) do
    total = total + t:get("errors")
    local s = t:get("statuses")
    for code, n in pairs(s) do seen[code] = (seen[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(seen) do table.insert(parts, string.format('"%d": %d', code, n)) end
  io.write(string.format('RESULT {"errors5xx": %d, "statuses": {%s}}\n', total, table.concat(parts, ", ")))
end
"""


@dataclass
class Scenario:
    name: str
    base_url: str
    requests_lua: str  # defines request()
    # Booking is not warmed up: that would take every slot before the measured run, which then
    # would see only 409s. Earlier scenarios have warmed the server by then.
    warm_up: bool = True
    # Every answer must be a 2xx, so wrk's own count of other answers is the error count; a
    # scenario that expects other answers counts them by status (5xx are its errors).
    only_2xx: bool = True


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    statuses: dict


def seed(database_url: str) -> dict:
    """Players with availability, fans with API tokens, sessions that are live now."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        players = []
        for i in range(PLAYERS):
            user = User(
                email=f"player{i}@bench.test",
                password_hash="-",
                role="player",
                display_name=f"Player {i}",
                timezone="Europe/Prague",
                calendar_token=f"p{i}",
            )
            db.session.add(user)
            db.session.flush()
            profile = Profile(user_id=user.id, bio="Bench player", accepts_bookings=True, verification_state="verified")
            profile.offerings = [Offering(duration_minutes=30, price_amount=0)]
            availability = SessionAvailability(
                player_id=user.id, timezone="Europe/Prague", min_notice_minutes=0, max_days_ahead=30, buffer_minutes=0
            )
            # The booking issue's profile: five weekly windows (Monday to Friday, 09:00-17:00).
            availability.windows = [WeeklyWindow(weekday=d, start_time=time(9), end_time=time(17)) for d in range(5)]
            db.session.add_all([profile, availability])
            players.append(user)
        fans = []
        for i in range(FANS):
            user = User(
                email=f"fan{i}@bench.test",
                password_hash="-",
                role="fan",
                display_name=f"Fan {i}",
                timezone="America/New_York",
                calendar_token=f"f{i}",
            )
            db.session.add(user)
            fans.append(user)
        db.session.commit()
        fan_tokens = {fan.id: api_tokens.issue_token(fan)[0] for fan in fans}
        player_tokens = {p.id: api_tokens.issue_token(p)[0] for p in players}

        now = utcnow()
        live = []
        for i in range(LIVE_SESSIONS):
            # Each live session has its own player: one player cannot be in two calls at once.
            host = User(
                email=f"host{i}@bench.test",
                password_hash="-",
                role="player",
                display_name=f"Host {i}",
                timezone="Europe/Prague",
                calendar_token=f"h{i}",
            )
            db.session.add(host)
            db.session.flush()
            player_tokens[host.id] = api_tokens.issue_token(host)[0]
            start = now - timedelta(minutes=2)
            session = LiveSession(
                fan_id=fans[i].id,
                player_id=host.id,
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
                blocked_until=start + timedelta(minutes=30),
                duration_minutes=30,
                status="confirmed",
                price_amount=0,
                currency="usd",
                fan_recording_consent=True,
                player_recording_consent=True,
            )
            db.session.add(session)
            live.append(session)
        db.session.commit()
        joins = [(s.id, fan_tokens[s.fan_id]) for s in live] + [(s.id, player_tokens[s.player_id]) for s in live]
        tomorrow = (now + timedelta(days=2)).astimezone(UTC).date()
        while tomorrow.weekday() > 4:  # the players take bookings Monday to Friday
            tomorrow += timedelta(days=1)
        slots = [datetime.combine(tomorrow, time(8), tzinfo=UTC) + timedelta(minutes=30 * k) for k in range(10)]
        data = {
            "player_ids": [p.id for p in players],
            "fan_tokens": list(fan_tokens.values()),
            "joins": joins,
            "booking_players": [p.id for p in players[:10]],
            "booking_slots": [s.strftime("%Y-%m-%dT%H:%M:%SZ") for s in slots],
        }
        db.session.remove()
        db.engine.dispose()
    return data


def lua_table(values) -> str:
    return "{" + ", ".join(json.dumps(v) for v in values) + "}"


def scenarios(data: dict, app_url: str, hello_url: str) -> list[Scenario]:
    players = lua_table(data["player_ids"])
    window_from = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    window_to = (utcnow() + timedelta(days=8)).strftime("%Y-%m-%dT00:00:00Z")
    join_ids = lua_table([sid for sid, _ in data["joins"]])
    join_tokens = lua_table([token for _, token in data["joins"]])
    return [
        Scenario("hello (bare Flask)", hello_url, 'request = function() return wrk.format("GET", "/") end'),
        Scenario(
            "discovery page",
            app_url,
            'request = function() return wrk.format("GET", "/players?page=" .. math.random(1, 3)) end',
        ),
        Scenario(
            "player profile",
            app_url,
            f"local ids = {players}\n"
            'request = function() return wrk.format("GET", "/players/" .. ids[math.random(#ids)]) end',
        ),
        Scenario(
            "availability API",
            app_url,
            f"local ids = {players}\n"
            'request = function() return wrk.format("GET", "/api/users/" .. ids[math.random(#ids)] .. '
            f'"/availability?from={window_from}&to={window_to}&duration=30") end',
        ),
        Scenario(
            "booking API (contended)",
            app_url,
            f"local players = {lua_table(data['booking_players'])}\n"
            f"local starts = {lua_table(data['booking_slots'])}\n"
            f"local tokens = {lua_table(data['fan_tokens'])}\n"
            "request = function()\n"
            '  local body = string.format(\'{"player_id": %d, "start": "%s", "duration_minutes": 30, '
            '"recording_consent": false}\', players[math.random(#players)], starts[math.random(#starts)])\n'
            '  return wrk.format("POST", "/api/sessions", {["Content-Type"] = "application/json", '
            '["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]}, body)\n'
            "end",
            warm_up=False,
            only_2xx=False,
        ),
        Scenario(
            "join API",
            app_url,
            f"local ids = {join_ids}\nlocal tokens = {join_tokens}\n"
            "request = function()\n"
            "  local i = math.random(#ids)\n"
            '  return wrk.format("POST", "/api/sessions/" .. ids[i] .. "/join", '
            '{["Authorization"] = "Bearer " .. tokens[i]})\n'
            "end",
        ),
    ]


def milliseconds(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(scenario: Scenario, duration: int, connections: int, workdir: Path, warmup: int) -> Result:
    """Measure one scenario after `warmup` unmeasured seconds of the same load (caches, pools, first requests)."""
    script = workdir / (re.sub(r"\W+", "_", scenario.name) + ".lua")
    script.write_text(scenario.requests_lua + "\n" + ("" if scenario.only_2xx else STATUS_LUA))

    def wrk(seconds: int) -> str:
        return subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                str(script),
                scenario.base_url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    if warmup and scenario.warm_up:
        wrk(warmup)
    out = wrk(duration)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = milliseconds(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = milliseconds(re.search(r"\s99%\s+(\S+)", out).group(1))
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    if scenario.only_2xx:
        total = int(re.search(r"(\d+) requests in", out).group(1))
        found = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        other = int(found.group(1)) if found else 0
        statuses = {"2xx": total - other, "other": other}
        return Result(scenario.name, rps, p50, p99, other + socket_errors, statuses)
    result = json.loads(re.search(r"RESULT (\{.*\})", out).group(1))
    return Result(scenario.name, rps, p50, p99, result["errors5xx"] + socket_errors, result["statuses"])


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("installing wrk (Debian package)", file=sys.stderr)
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, stdout=subprocess.DEVNULL).returncode != 0:
        # A fresh machine may have no package lists yet.
        subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(install, check=True, stdout=subprocess.DEVNULL)


LOAD_BEFORE = os.getloadavg()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured seconds of load before each scenario")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="run only the scenarios whose name contains TEXT (hello always runs); repeatable",
    )
    args = parser.parse_args()
    ensure_wrk()

    with scratch_database() as database_url, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data = seed(database_url)
        app_port, provider_port, hello_port = free_port(), free_port(), free_port()
        provider_url = f"http://127.0.0.1:{provider_port}"
        shared = {
            "VIDEO_SANDBOX_DB": str(workdir / "video.sqlite3"),
            "STRIPE_SANDBOX_DB": str(workdir / "stripe.sqlite3"),
            "VIDEO_SANDBOX_DELIVER_WEBHOOKS": "false",
        }
        app_env = app_environment(database_url, app_port, VIDEO_SANDBOX_URL=f"{provider_url}/_sandbox/video", **shared)
        provider_env = app_environment(database_url, provider_port, WEB_CONCURRENCY="1", **shared)
        hello_env = app_environment(database_url, hello_port)
        with (
            gunicorn("app:app", provider_env, provider_url),
            gunicorn("app:app", app_env, f"http://127.0.0.1:{app_port}") as app_server,
            gunicorn("benchmarks.hello_app:app", hello_env, f"http://127.0.0.1:{hello_port}"),
        ):
            worker = subprocess.Popen(
                [PYTHON, str(ROOT / "worker.py")],
                cwd=ROOT,
                env=app_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                with (
                    MemorySampler({"web worker": app_server.process.pid}) as web_memory,
                    MemorySampler({"rq worker": worker.pid}, include_children=False) as rq_memory,
                ):
                    chosen = [
                        s
                        for i, s in enumerate(scenarios(data, app_server.url, f"http://127.0.0.1:{hello_port}"))
                        if i == 0 or not args.only or any(text in s.name for text in args.only)
                    ]
                    results = [run_wrk(s, args.duration, args.connections, workdir, args.warmup) for s in chosen]
            finally:
                worker.terminate()
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
    print_table(results, args, web_memory.max_rss["web worker"], rq_memory.max_rss["rq worker"])


def print_table(results: list[Result], args, web_rss: int, rq_rss: int) -> None:
    hello = results[0].rps
    print(
        f"\n{args.connections} concurrent clients, {args.duration} s per scenario after {args.warmup} s of warm-up, "
        f"gunicorn.conf.py (gthread), PostgreSQL + Redis on loopback; wrk shares the same cores; "
        f"load average before the run {LOAD_BEFORE[0]:.1f}\n"
    )
    print(f"| {'scenario':<26} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'errors':>6} | {'vs hello':>8} |")
    print(f"|{'-' * 28}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 10}|")
    for r in results:
        print(
            f"| {r.name:<26} | {r.rps:>8.0f} | {r.p50_ms:>7.1f} | {r.p99_ms:>7.1f} | {r.errors:>6} | "
            f"{r.rps / hello:>7.0%} |"
        )
    print(f"\npeak RSS: web worker {web_rss / 2**20:.0f} MB (limit 150), RQ worker {rq_rss / 2**20:.0f} MB (limit 200)")
    for r in results:
        print(f"  {r.name}: statuses {r.statuses}")


if __name__ == "__main__":
    main()
