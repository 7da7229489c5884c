"""A real CalDAV server for tests: Radicale on a free loopback port, its own storage and users.

The server runs as a child process (`python -m radicale`), so a test can stop it to see what an
outage does and start it again on the same port and storage to see that nothing was lost.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import caldav

from .smtp_server import free_port

USERS = {"player": "calendar-pass-1", "other": "calendar-pass-2"}


class Radicale:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        htpasswd = folder / "users"
        htpasswd.write_text("".join(f"{name}:{password}\n" for name, password in USERS.items()))
        self._args = [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{self.port}",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(htpasswd),
            "--auth-htpasswd-encryption",
            "plain",
            "--rights-type",
            "owner_only",
            "--auth-delay",
            "0",  # a wrong password is answered at once (the tests try several)
            "--logging-level",
            "warning",
        ]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        self.process = subprocess.Popen(self._args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"radicale exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("radicale did not start listening")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self, user: str = "player") -> caldav.DAVClient:
        return caldav.DAVClient(self.url, username=user, password=USERS[user], auth_type="basic")

    def make_calendar(self, name: str, user: str = "player") -> caldav.Calendar:
        return self.client(user).principal().make_calendar(name=name)

    def calendar(self, name: str, user: str = "player") -> caldav.Calendar:
        return next(c for c in self.client(user).principal().calendars() if c.get_display_name() == name)
