"""Workspace members declare every admint package they import (infra/depcheck.py, run by `make lint`)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "infra"))

from depcheck import Member, members, undeclared

pytestmark = pytest.mark.unit


def test_every_member_declares_the_workspace_packages_it_imports() -> None:
    found = members()
    assert {m.module for m in found} >= {"admint.core", "admint.media", "admint.providers", "admint.devstack",
                                         "admint.chunker", "admint.gateway", "admint.cli", "admint.contracts"}
    assert undeclared(found) == []


def test_an_undeclared_import_is_reported(tmp_path: Path) -> None:
    src = tmp_path / "src" / "admint" / "toy"
    src.mkdir(parents=True)
    (src / "handlers.py").write_text("from admint.media.probe import probe\nimport admint.core.errors\n")
    real = members()
    toy = Member(tmp_path, "admint-toy", "admint.toy", frozenset({"admint-core"}))
    problems = undeclared([*real, toy])
    assert len(problems) == 1 and "admint-toy imports admint.media" in problems[0]
    assert "does not declare admint-media" in problems[0]
