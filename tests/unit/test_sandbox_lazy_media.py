"""The video sandbox's media libraries (aiortc, PyAV, PocketSphinx: about 17 MiB) load only in a
process that records or captions a call, never in every web worker at start."""

from __future__ import annotations

import subprocess
import sys


def test_starting_the_app_loads_no_media_library(tmp_path):
    probe = (
        "import sys; from kendama import create_app; create_app('testing', instance_path=sys.argv[1]); "
        "print(sorted(m for m in ('aiortc', 'av', 'pocketsphinx') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr
