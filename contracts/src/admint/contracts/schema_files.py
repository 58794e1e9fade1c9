"""Committed JSON Schemas: file naming and generation (used by `make schemas` and the contract tests)."""

import json
import sys
from pathlib import Path
from typing import Any

from admint.contracts.registry import EVENT_MODELS


def schema_filename(event_type: str) -> str:
    """plan.completed.v1 → plan.completed.v1.json"""
    return f"{event_type}.json"


def current_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every event model as the code defines it now, keyed by event type."""
    return {m.model_fields["type"].default: m.model_json_schema(mode="validation") for m in EVENT_MODELS}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_all(directory: Path) -> list[Path]:
    """Rewrite every committed schema from the models (after an intended, compatible or versioned change)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for event_type, schema in current_schemas().items():
        path = directory / schema_filename(event_type)
        path.write_text(render(schema))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "contracts/schemas")):
        print(written_path)
