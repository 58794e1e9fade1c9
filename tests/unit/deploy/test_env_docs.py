"""The Deploy section's environment table is generated from the settings classes and kept current."""

from pathlib import Path

import pytest
from env_table import END, START, render_table, replace_between_markers, stale_docs

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]


def test_committed_tables_are_current() -> None:
    assert stale_docs() == []
    assert START in (ROOT / "README.md").read_text()


def test_table_lists_every_shared_setting_and_marks_secrets() -> None:
    table = render_table()
    for name in ("ADMINT_NATS_URL", "ADMINT_MONGO_URL", "ADMINT_S3_ENDPOINT", "ADMINT_SHUTDOWN_GRACE_S"):
        assert f"| `{name}` |" in table
    secret_row = next(line for line in table.splitlines() if line.startswith("| `ADMINT_S3_SECRET_KEY`"))
    assert "admint-dev-secret" not in secret_row and "secret" in secret_row


def test_a_service_default_of_a_shared_setting_is_shown_beside_it() -> None:
    rows = {line.split("|")[1].strip(" `"): line for line in render_table().splitlines() if line.startswith("| `")}
    assert "chunker: `8`" in rows["ADMINT_MAX_INFLIGHT"] and "storyboard: `6`" in rows["ADMINT_MAX_INFLIGHT"]
    assert "scorer: `10`" in rows["ADMINT_PROCESS_NICE"]
    assert "(" not in rows["ADMINT_WORKDIR"].split("|")[2]  # no service changes it


def test_a_stale_table_is_detected(tmp_path: Path) -> None:
    doc = tmp_path / "README.md"
    doc.write_text(f"# x\n{START}\n| old |\n{END}\ntail\n")
    assert len(stale_docs((doc,))) == 1
    doc.write_text(replace_between_markers(doc.read_text(), render_table()))
    assert stale_docs((doc,)) == []
    assert doc.read_text().endswith(f"{END}\ntail\n")
