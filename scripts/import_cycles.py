"""Print the package's import cycles and its largest module; exit 1 if there is a cycle or a module of 500+ lines.

Usage: .venv/bin/python scripts/import_cycles.py [PACKAGE_DIR]   (default: kendama/)

An import written inside a function body is "deferred": it runs only when the function is
called, so Python never trips over the cycle it closes, but the modules still depend on each
other and the cycle is still there to untangle. Both kinds count; each cycle lists its imports,
marking the deferred ones, and says whether it would remain without them.

A module importing from a package that contains it (a blueprint's `routes.py` taking `bp` from
its package, as microblog does; `from kendama import create_app`) closes no cycle: Python has
always started running that package's `__init__.py` before any module inside it, so such imports
are counted but left out of the graph.
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_LINES = 500


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module of the package, dotted
    line: int
    deferred_in: str | None  # the function whose body holds the import; None at module level


def module_names(package_dir: Path) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, for its __init__.py)."""
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = (package_dir.name, *path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _imports_in(tree: ast.AST) -> list[tuple[ast.Import | ast.ImportFrom, str | None]]:
    """Each import statement with the function it sits in (the outermost one), if any."""
    found = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, function))
            inner = function
            if function is None and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            visit(child, inner)

    visit(tree, None)
    return found


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The package modules that `module` imports, one entry per statement and target."""
    is_package = path.name == "__init__.py"
    found = []
    for node, function in _imports_in(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                # `from . import x` in a/b.py means a; in a/__init__.py it means a itself.
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from pkg import name`: name is a submodule, or else something defined in pkg.
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        for target in dict.fromkeys(candidates):
            if target in modules and target != module:
                found.append(Import(module, target, node.lineno, function))
    return found


def strongly_connected(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that each reach one another (only groups of two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for following in sorted(edges.get(node, ())):
            if following not in index:
                connect(following)
                low[node] = min(low[node], low[following])
            elif following in on_stack:
                low[node] = min(low[node], index[following])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(1000, 10 * len(nodes)))
    for node in nodes:
        if node not in index:
            connect(node)
    return sorted(groups, key=lambda group: (-len(group), group))


def report(package_dir: Path) -> tuple[list[str], bool]:
    """The lines to print, and whether the package passes (no cycle, every module under MAX_LINES)."""
    modules = module_names(package_dir)
    imports = [found for name, path in modules.items() for found in imports_of(name, path, modules)]
    of_own_package = [found for found in imports if found.source.startswith(found.target + ".")]
    imports = [found for found in imports if found not in of_own_package]
    edges: dict[str, set[str]] = {}
    for found in imports:
        edges.setdefault(found.source, set()).add(found.target)
    cycles = strongly_connected(list(modules), edges)

    lines = []
    for number, cycle in enumerate(cycles, 1):
        members = set(cycle)
        inside = [found for found in imports if found.source in members and found.target in members]
        deferred = [found for found in inside if found.deferred_in]
        module_level: dict[str, set[str]] = {}
        for found in inside:
            if not found.deferred_in:
                module_level.setdefault(found.source, set()).add(found.target)
        remains = bool(strongly_connected(cycle, module_level))
        lines.append(
            f"cycle {number}: {len(cycle)} modules, {len(inside)} imports among them, {len(deferred)} deferred"
            f" ({'still a cycle' if remains else 'no cycle'} without the deferred ones)"
        )
        lines.extend(f"  {name}" for name in cycle)
        for found in sorted(inside, key=lambda found: (found.source, found.line)):
            where = f"deferred in {found.deferred_in}()" if found.deferred_in else "module level"
            lines.append(f"    {found.source}:{found.line} -> {found.target}  [{where}]")
    if not cycles:
        lines.append(f"no import cycles among the {len(modules)} modules of {package_dir.name}")
    lines.append(f"({len(of_own_package)} imports of a module's own package left out: they close no cycle)")

    sizes = {name: len(path.read_text().splitlines()) for name, path in modules.items()}
    largest = max(sizes, key=sizes.get)
    lines.append(f"largest module: {largest}, {sizes[largest]} lines (the limit is under {MAX_LINES})")
    too_long = sorted((name for name, size in sizes.items() if size >= MAX_LINES), key=sizes.get, reverse=True)
    lines.extend(f"  also {MAX_LINES}+ lines: {name}, {sizes[name]}" for name in too_long if name != largest)
    return lines, not cycles and not too_long


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package_dir", nargs="?", type=Path, default=Path(__file__).resolve().parent.parent / "kendama")
    lines, passes = report(parser.parse_args().package_dir.resolve())
    print("\n".join(lines))
    return 0 if passes else 1


if __name__ == "__main__":
    sys.exit(main())
