"""What the HTTP benchmarks share: a scratch PostgreSQL database, gunicorn started the way
production starts it (gunicorn.conf.py), readiness waits, and memory sampling of its workers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests
from redis import Redis
from rq import Queue

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import postgres  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def scratch_database(prefix: str = "kendama_bench") -> Iterator[str]:
    """A new empty PostgreSQL database (SQLAlchemy URL); it and this run's job queue are dropped afterwards."""
    url = postgres.create_database(prefix)
    try:
        yield url
    finally:
        postgres.drop_database(url)
        drop_bench_queue()


BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
# A queue of this run's own: jobs an earlier run left behind (its worker stopped before the
# queue was empty) would otherwise be run by this run's worker, taking CPU from the server.
BENCH_QUEUE = f"bench-{uuid.uuid4().hex[:12]}"


def drop_bench_queue() -> None:
    """Delete this run's queue with its jobs and registries, and its slot cache entries and versions."""
    redis = Redis.from_url(BENCH_REDIS_URL)
    Queue(BENCH_QUEUE, connection=redis).delete(delete_jobs=True)
    for pattern in (f"rq:*:{BENCH_QUEUE}*", f"{BENCH_QUEUE}:slots:*"):
        for key in redis.scan_iter(match=pattern, count=1000):
            redis.delete(key)


def app_environment(database_url: str, port: int, **extra: str) -> dict[str, str]:
    """Environment for the app under load: PostgreSQL, Redis, sandboxes, no rate limits."""
    env = dict(os.environ)
    env.update(
        {
            "KENDAMA_ENV": "development",  # the sandboxes stand in for Stripe and the video provider
            "DATABASE_URL": database_url,
            "REDIS_URL": BENCH_REDIS_URL,
            "RQ_QUEUE": BENCH_QUEUE,
            "SLOT_CACHE_PREFIX": f"{BENCH_QUEUE}:slots",
            "SECRET_KEY": "benchmark-secret-key",
            "BASE_URL": f"http://127.0.0.1:{port}",
            "RATELIMIT_ENABLED": "false",
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    rss_samples: dict[int, int] = field(default_factory=dict)  # pid -> max RSS in bytes

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (gunicorn's workers, RQ's work horses).

    Read from /proc rather than by running `ps`: the sampler asks several times a second, and a
    `ps` each time took CPU from the server being measured.
    """
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@contextmanager
def gunicorn(
    app_path: str, env: dict[str, str], url: str, health_path: str = "/healthz", log: IO | None = None
) -> Iterator[Server]:
    """Start `gunicorn app_path` with the production config file (output to `log`); stop it afterwards."""
    process = subprocess.Popen(
        [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), app_path],
        cwd=ROOT,
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(process, url)
    try:
        wait_until_up(url + health_path, process)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class MemorySampler:
    """Samples the RSS of processes (and their children) in a background thread; keeps the maximum."""

    def __init__(self, roots: dict[str, int], include_children: bool = True, interval: float = 0.25):
        self.roots = roots
        self.include_children = include_children
        self.interval = interval
        self.max_rss: dict[str, int] = dict.fromkeys(roots, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.roots.items():
                # The root too: an RQ worker's own process, beside the work horses it forks.
                pids = [pid, *children(pid)] if self.include_children else [pid]
                for candidate in pids:
                    self.max_rss[name] = max(self.max_rss[name], rss_bytes(candidate))
            self._stop.wait(self.interval)
