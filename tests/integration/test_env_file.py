"""The project's `.env` file configures every entry point, not only `flask`.

`gunicorn app:app` and `python worker.py` import the app with nothing having read `.env` for them
(the `flask` command reads it itself before importing the app), so the configuration must read it
before its classes read the environment. The test suite turns .env off
(tests/__init__.py) so that a developer's `.env` never reaches the tests; this test lifts it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.dev_server import CONFIGURATION

ROOT = Path(__file__).resolve().parents[2]


def test_gunicorns_import_of_the_app_reads_dotenv_and_the_environment_wins_over_it(tmp_path):
    shutil.copytree(ROOT / "kendama", tmp_path / "kendama", ignore=shutil.ignore_patterns("__pycache__", "vendor"))
    shutil.copy2(ROOT / "app.py", tmp_path / "app.py")
    (tmp_path / ".env").write_text("RQ_QUEUE=queue-from-dotenv\nBASE_URL=http://from-dotenv.example\n")
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in CONFIGURATION and key not in ("PYTHON_DOTENV_DISABLED", "RQ_QUEUE")
    }
    # How gunicorn (and worker.py) come to the app: an import, no `flask` command in between.
    result = subprocess.run(
        [sys.executable, "-c", "from app import app; print(app.config['RQ_QUEUE'], app.config['BASE_URL'])"],
        cwd=tmp_path, env={**inherited, "BASE_URL": "http://from-environment.example"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["queue-from-dotenv", "http://from-environment.example"]
