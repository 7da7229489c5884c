"""Path traversal: no file route serves a file outside its own folder, however the path is written.

The routes that read files: static files (/static/, the video sandbox's /_sandbox/video/static/),
avatars (instance/avatars, named by the stored key), the sandboxes' signed file links, and the
development outbox viewer (/dev/mail/, development only). Each is asked for the app's own
source, the secret key in instance/ and /etc/passwd, in every spelling of "..".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kendama.extensions import db
from kendama.models import Profile

from ..support.factories import PlayerFactory

pytestmark = pytest.mark.both_databases

# Marks of what must never be served: the app's source, the passwd file.
SECRETS = ("def create_app", "root:x:0:0")
TRAVERSALS = [
    "../../__init__.py",
    "..%2F..%2F__init__.py",
    "%2e%2e/%2e%2e/__init__.py",
    "%2e%2e%2f%2e%2e%2f__init__.py",
    "..%5c..%5c__init__.py",
    "....//....//__init__.py",
    "%252e%252e%252f%252e%252e%252f__init__.py",
    "..;/..;/__init__.py",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "../../../../../../../../etc/passwd",
    "..%00/__init__.py",
    "..%c0%af..%c0%af__init__.py",
]


def refused(response) -> bool:
    body = response.get_data(as_text=True)
    return response.status_code in (400, 403, 404) and not any(secret in body for secret in SECRETS)


def test_the_files_probed_for_exist_so_a_refusal_means_something():
    assert "def create_app" in (Path(__file__).resolve().parents[2] / "kendama" / "__init__.py").read_text()
    assert "root:x:0:0" in Path("/etc/passwd").read_text()


@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("prefix", ["/static/", "/static/css/", "/_sandbox/video/static/"])
def test_static_files_stay_in_their_folder(client, prefix, path):
    # Doubled slashes are merged by a 308 to the same site first; what it leads to is refused.
    assert refused(client.get(prefix + path, follow_redirects=True)), prefix + path


@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("route", ["/_sandbox/video/files/recordings/", "/_sandbox/video/files/transcripts/"])
def test_the_sandbox_file_links_serve_only_their_files(client, route, path):
    assert refused(client.get(f"{route}{path}?sig=x", follow_redirects=True)), route + path


@pytest.mark.parametrize("form", ["relative", "absolute"])
def test_an_avatar_key_that_points_outside_the_folder_serves_nothing(app, client, tmp_path, form):
    # Keys are made by the server (a digest); a row altered by hand still may not leave the folder.
    outside = tmp_path / "not-an-avatar.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\nroot:x:0:0")
    avatars = Path(app.instance_path) / "avatars"
    player = PlayerFactory()
    key = os.path.relpath(outside, avatars) if form == "relative" else str(outside)
    db.session.get(Profile, player.id).avatar_key = key
    db.session.commit()
    assert refused(client.get(f"/players/{player.id}/avatar"))


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path / "mail"))
    monkeypatch.setitem(app.config, "DEV_MAIL_PAGES", True)
    (tmp_path / "mail").mkdir()
    (tmp_path / "secret.eml").write_text("Subject: outside the outbox\n\nroot:x:0:0\n")
    return tmp_path


@pytest.mark.parametrize("key", ["..%2Fsecret.eml", "%2e%2e%2fsecret.eml", "..%5csecret.eml", "%2fetc%2fpasswd"])
@pytest.mark.parametrize("suffix", ["", "/html", "/attachments/0"])
def test_the_development_outbox_serves_only_its_own_messages(client, outbox, key, suffix):
    assert refused(client.get(f"/dev/mail/{key}{suffix}"))
