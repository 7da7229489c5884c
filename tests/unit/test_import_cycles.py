"""scripts/import_cycles.py on tiny packages written for each test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "import_cycles.py"


def run_on(root: Path, files: dict[str, str]) -> subprocess.CompletedProcess:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return subprocess.run([sys.executable, str(SCRIPT), str(root / "pkg")], capture_output=True, text=True, timeout=60)


def test_a_cycle_closed_by_a_deferred_import_is_found_and_marked(tmp_path):
    result = run_on(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/jobs.py": "def send():\n    from pkg.services import mail\n\n    mail.send()\n",
            "pkg/services/__init__.py": "",
            "pkg/services/mail.py": "from pkg import jobs\n\n\ndef send():\n    jobs.send()\n",
        },
    )
    assert result.returncode == 1, result.stdout
    assert "cycle 1: 2 modules, 2 imports among them, 1 deferred (no cycle without the deferred ones)" in result.stdout
    assert "    pkg.jobs:2 -> pkg.services.mail  [deferred in send()]" in result.stdout
    assert "    pkg.services.mail:1 -> pkg.jobs  [module level]" in result.stdout


def test_no_cycle_passes_and_a_blueprint_taking_bp_from_its_package_is_no_cycle(tmp_path):
    result = run_on(
        tmp_path,
        {
            "pkg/__init__.py": "def create_app():\n    from .admin import bp\n\n    return bp\n",
            "pkg/models.py": "class User:\n    pass\n",
            "pkg/admin/__init__.py": "bp = object()\n\nfrom . import routes  # noqa: E402\n",
            "pkg/admin/routes.py": "from pkg import create_app\n\nfrom ..models import User\nfrom . import bp\n",
        },
    )
    assert result.returncode == 0, result.stdout
    assert "no import cycles among the 4 modules of pkg" in result.stdout
    assert "(2 imports of a module's own package left out: they close no cycle)" in result.stdout


def test_a_module_of_500_lines_fails(tmp_path):
    result = run_on(tmp_path, {"pkg/__init__.py": "", "pkg/big.py": "x = 1\n" * 500})
    assert result.returncode == 1, result.stdout
    assert "largest module: pkg.big, 500 lines (the limit is under 500)" in result.stdout


def test_the_project_has_no_import_cycle():
    """Module-level and deferred imports alike: none closes a circle (the size limit is reported, not judged here)."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(SCRIPT.parents[1] / "kendama")], capture_output=True, text=True, timeout=60
    )
    assert "no import cycles among the" in result.stdout, result.stdout
