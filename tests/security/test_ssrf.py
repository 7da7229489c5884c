"""SSRF through the calendar import: our server fetches an address a player gives, so no way of
writing, resolving or redirecting that address may reach loopback, the private network,
link-local addresses or cloud metadata (services/calendars/fetch.py), with private hosts not
allowed (as in production).

A real server listens on 127.0.0.1 during these tests: every probe also checks that not one
request reached it. Refusals must be the guard's (BlockedAddress), not a connection that failed
by luck.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kendama.extensions import db
from kendama.models import Profile
from kendama.services.calendars import fetch

from ..conftest import csrf_token_from
from ..support import calendar_server
from ..support.calendar_server import Route
from ..support.factories import PlayerFactory

pytestmark = pytest.mark.both_databases

CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nEND:VCALENDAR\r\n"
LIMITS = fetch.Limits(max_bytes=1024 * 1024, connect_timeout=2, read_timeout=2, total_seconds=5)

# Every way of writing "this machine" (the test server listens on 127.0.0.1).
LOOPBACK = [
    "127.0.0.1",
    "127.0.0.2",
    "localhost",
    "LOCALHOST",
    "2130706433",  # decimal
    "0177.0.0.1",  # octal
    "0x7f.0.0.1",  # hex
    "0x7f000001",
    "017700000001",
    "127.1",  # short
    "0",
    "0.0.0.0",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",  # IPv4-compatible (deprecated, still parsed)
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
]
# The rest of what only our server can see: private ranges, link-local and metadata.
PRIVATE = [
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "[fe80::1]",
    "[fc00::1]",
    "[fd00::1]",
    "[::ffff:169.254.169.254]",
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of the metadata address
    "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
    "[64:ff9b:1::a00:1]",  # the local-use NAT64 prefix
    "[2002:a9fe:a9fe::]",  # 6to4 of the metadata address
]


@pytest.fixture(scope="module")
def server():
    state, httpd = calendar_server.start()
    state.routes["/calendar.ics"] = Route(CALENDAR)
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def guarded(app, monkeypatch):
    monkeypatch.setitem(app.config, "CALENDAR_FETCH_ALLOW_PRIVATE", False)


def refused_without_a_request(server, url: str) -> None:
    before = len(server.requests)
    with pytest.raises(fetch.BlockedAddress):
        fetch.fetch(url, LIMITS)
    assert len(server.requests) == before, f"{url} reached the server"


def test_the_server_answers_when_private_hosts_are_allowed(server):
    allowed = fetch.Limits(**{**LIMITS.__dict__, "allow_private": True})
    assert fetch.fetch(f"http://127.0.0.1:{server.port}/calendar.ics", allowed) == CALENDAR


@pytest.mark.parametrize("host", LOOPBACK + PRIVATE)
def test_no_way_of_writing_a_private_address_is_fetched(server, host):
    refused_without_a_request(server, f"http://{host}:{server.port}/calendar.ics")


@pytest.mark.parametrize(
    "addresses",
    [["10.0.0.5"], ["127.0.0.1"], ["::1"], ["93.184.216.34", "127.0.0.1"], ["2606:2800:220:1::1", "fd00::7"]],
    ids=["private", "loopback", "ipv6-loopback", "one-of-two-private", "ipv6-one-of-two-private"],
)
def test_a_name_that_resolves_to_a_private_address_is_not_fetched(server, monkeypatch, addresses):
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host != "calendar.example":
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    refused_without_a_request(server, f"http://calendar.example:{server.port}/calendar.ics")


@pytest.fixture
def redirector(monkeypatch):
    """A server on 127.0.0.2, taken as public for the test, that redirects where it is told."""
    target = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server hook name
            self.send_response(302)
            self.send_header("Location", target["location"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    real = fetch.is_public_address
    monkeypatch.setattr(fetch, "is_public_address", lambda address: address == "127.0.0.2" or real(address))
    yield target, f"http://127.0.0.2:{httpd.server_address[1]}/calendar.ics"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "[::ffff:127.0.0.1]", "169.254.169.254"])
def test_a_redirect_to_a_private_address_is_not_followed(server, redirector, host):
    target, start = redirector
    target["location"] = f"http://{host}:{server.port}/calendar.ics"
    refused_without_a_request(server, start)


def test_a_redirect_to_another_scheme_is_not_followed(server, redirector):
    target, start = redirector
    target["location"] = "file:///etc/passwd"
    with pytest.raises(fetch.FetchError, match="Only http and https"):
        fetch.fetch(start, LIMITS)


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "[::ffff:127.0.0.1]", "LOCALHOST"])
def test_a_player_saving_a_private_address_gets_an_error_and_nothing_is_fetched(client, login, server, guarded, host):
    player = PlayerFactory()
    login(player)
    before = len(server.requests)
    form = {"csrf_token": csrf_token_from(client), "calendar_import_url": f"https://{host}:{server.port}/calendar.ics"}
    response = client.post("/dashboard/calendar", data=form)
    profile = db.session.get(Profile, player.id)
    if response.status_code == 303:  # saved (a name or form only the sync resolves): the sync refuses it
        assert "private network" in (profile.calendar_sync_error or "")
    else:
        assert response.status_code == 422 and "private network" in response.get_data(as_text=True)
    assert len(server.requests) == before
    assert db.session.scalar(db.select(db.func.count()).select_from(Profile).where(Profile.user_id == player.id)) == 1


@pytest.mark.parametrize(
    "address", ["64:ff9b::5db8:d822", "2002:5db8:d822::", "::ffff:93.184.216.34", "2606:2800:220:1::1"]
)
def test_an_ipv6_address_carrying_a_public_ipv4_stays_public(address):
    # Behind DNS64 every IPv4-only calendar host resolves into 64:ff9b::/96; those must still work.
    assert fetch.is_public_address(address)
