"""Deployment tests import the validator from infra/ (scripts, not a package) and share one render per target."""

import copy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
INFRA = ROOT / "infra"
if str(INFRA) not in sys.path:
    sys.path.insert(0, str(INFRA))

from deploycheck.render import Doc, render  # noqa: E402


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Doc]]:
    """`kubectl kustomize` output of base and both overlays, rendered once per session."""
    k8s = ROOT / "k8s"
    return {name: render(k8s / name) for name in ("base", "overlays/dev", "overlays/prod")}


@pytest.fixture
def dev_docs(rendered: dict[str, list[Doc]]) -> list[Doc]:
    """A private, mutable copy of the dev render."""
    return copy.deepcopy(rendered["overlays/dev"])


@pytest.fixture
def prod_docs(rendered: dict[str, list[Doc]]) -> list[Doc]:
    return copy.deepcopy(rendered["overlays/prod"])
