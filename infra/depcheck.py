"""Every package a workspace member imports is declared in that member's pyproject (run by `make lint`).

Two checks: `deptry` on each member (external packages: missing, unused, transitive), and our own for the
workspace's packages, which deptry cannot tell apart (they all share the `admint` namespace): a member that imports
`admint.media` must declare `admint-media`. Without this, a service image built with `uv sync --package` would
miss a package that happened to be installed in the development environment.

    uv run python infra/depcheck.py
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Member:
    path: Path
    name: str
    """Distribution name, e.g. admint-media."""
    module: str
    """Top package it provides, e.g. admint.media."""
    declared: frozenset[str]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def members(root: Path = ROOT) -> list[Member]:
    """The workspace members listed in the root pyproject, with what they declare."""
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    found = []
    for pattern in globs:
        for path in sorted(root.glob(pattern)):
            if not (path / "pyproject.toml").exists():
                continue
            project = tomllib.loads((path / "pyproject.toml").read_text())["project"]
            declared = {re.split(r"[\[<>=!~ ;]", d)[0].strip().lower() for d in project.get("dependencies", [])}
            package = next((path / "src" / "admint").iterdir()).name
            found.append(Member(path, project["name"], f"admint.{package}", frozenset(declared)))
    return found


def imported_workspace_modules(member: Member) -> dict[str, set[str]]:
    """admint.<package> modules imported by the member's source → the files importing each."""
    used: dict[str, set[str]] = {}
    for file in (member.path / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                parts = name.split(".")
                if len(parts) >= 2 and parts[0] == "admint":
                    used.setdefault(".".join(parts[:2]), set()).add(_shown(file))
    return used


def undeclared(all_members: list[Member]) -> list[str]:
    by_module = {m.module: m for m in all_members}
    problems = []
    for member in all_members:
        for module, files in sorted(imported_workspace_modules(member).items()):
            provider = by_module.get(module)
            if provider is None or provider is member:
                continue
            if provider.name not in member.declared:
                problems.append(f"{member.name} imports {module} ({sorted(files)[0]}) but does not declare "
                                f"{provider.name} in {_shown(member.path / 'pyproject.toml')}")
    return problems


def run_deptry(member: Member) -> str | None:
    result = subprocess.run([sys.executable, "-m", "deptry", "src"], cwd=member.path, capture_output=True,
                            text=True)
    return None if result.returncode == 0 else f"{member.name}:\n{result.stdout}{result.stderr}"


def main() -> int:
    all_members = members()
    problems = undeclared(all_members)
    problems += [p for m in all_members if (p := run_deptry(m))]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"depcheck: {len(all_members)} members, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
