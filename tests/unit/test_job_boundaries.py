"""Who may import whom around the jobs: services ask for jobs by dotted name, kendama/jobs.py (RQ's
entry points) imports the services, and kendama/tasks/ imports neither, so no import circle
runs services -> jobs -> services (it was hidden by imports deferred into function bodies)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kendama"


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at module level or inside functions, as absolute dotted names."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def modules_under(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules_under("services") + modules_under("tasks"), ids=lambda p: p.name)
def test_no_service_and_no_task_module_imports_the_jobs(path):
    assert "kendama.jobs" not in imported_modules(path)


@pytest.mark.parametrize("path", modules_under("tasks"), ids=lambda p: p.name)
def test_the_task_machinery_imports_no_service(path):
    assert not {name for name in imported_modules(path) if name.startswith("kendama.services")}


def test_every_job_a_service_or_the_clock_names_exists():
    from kendama.tasks.periodic import PERIODIC_JOBS

    named = {name for name, _ in PERIODIC_JOBS}
    for path in modules_under("services"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "after_commit":
                named.add(node.args[0].value)
    assert len(named) > 10
    for name in named:
        module, _, function = name.rpartition(".")
        assert callable(getattr(importlib.import_module(module), function, None)), f"no job {name}"
