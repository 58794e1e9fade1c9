"""The environment variable table of README's "Deploy" section, generated from the settings classes.

    uv run python infra/env_table.py            # print the table
    uv run python infra/env_table.py --write    # refresh it between the markers in README.md
    uv run python infra/env_table.py --check    # exit 1 when a committed table is stale

Why generated: every field already has a description (pydantic Field), so the docs cannot drift from the code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploycheck.envkeys import settings_classes

from admint.core.settings import CoreSettings
from admint.providers.settings import ProviderSettings

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- env-table:start -->", "<!-- env-table:end -->"
DOCS = (ROOT / "README.md",)
SECRET_NOTE = "secret: put it in `admint-secrets` / `.env`"


def _default(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "development default (refused in production)"
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def _rows(cls: type[BaseSettings], skip: set[str]) -> list[str]:
    prefix = str(cls.model_config.get("env_prefix", "")).upper()
    rows = []
    for name, field in cls.model_fields.items():
        if name in skip:
            continue
        description = (field.description or "").replace("|", "\\|")
        if "SecretStr" in repr(field.annotation):
            description = f"{description} ({SECRET_NOTE})"
        default = _default(field.get_default(call_default_factory=True)) + _overrides(cls, name)
        rows.append(f"| `{prefix}{name.upper()}` | {default} | {description} |")
    return rows


def _overrides(base: type[BaseSettings], name: str) -> str:
    """A shared setting whose default a service changes (the chunker's in-flight messages, the scorer's nice):
    each such service and its own default."""
    if base not in (CoreSettings, ProviderSettings) or name == "service_name":  # every service names itself
        return ""
    default = base.model_fields[name].get_default(call_default_factory=True)
    own = []
    for cls in settings_classes():
        if cls in (CoreSettings, ProviderSettings) or name not in cls.model_fields:
            continue
        value = cls.model_fields[name].get_default(call_default_factory=True)
        if value != default:
            own.append(f"{cls.__module__.split('.')[1]}: {_default(value)}")
    return f" ({', '.join(own)})" if own else ""


def render_table() -> str:
    """Shared settings first, then what each service adds (its config.py subclass)."""
    header = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    shared = set(CoreSettings.model_fields) | set(ProviderSettings.model_fields)
    users = ", ".join(c.__module__.split(".")[1] for c in settings_classes()
                      if issubclass(c, ProviderSettings) and c is not ProviderSettings)
    parts = [
        "**Every process** (`admint.core.settings.CoreSettings`):",
        "",
        *header,
        *_rows(CoreSettings, set()),
        "",
        f"**Every service that calls models** ({users}; `admint.providers.settings.ProviderSettings`):",
        "",
        *header,
        *_rows(ProviderSettings, set()),
    ]
    for cls in settings_classes():
        if cls in (CoreSettings, ProviderSettings):
            continue
        rows = _rows(cls, shared)
        if rows:
            parts += [
                "",
                f"**{cls.__module__.split('.')[1]}** (`{cls.__module__}.{cls.__name__}`):",
                "",
                *header,
                *rows,
            ]
    return "\n".join(parts)


def replace_between_markers(text: str, table: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table}\n{END}{tail}"


def stale_docs(docs: tuple[Path, ...] = DOCS) -> list[str]:
    table = render_table()
    return [
        f"{doc}: environment table is stale; run `uv run python infra/env_table.py --write`"
        for doc in docs
        if doc.exists()
        and START in doc.read_text()
        and replace_between_markers(doc.read_text(), table) != doc.read_text()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Environment variable table from the settings classes.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_docs()
        print("\n".join(problems) or "env table: up to date")
        return 1 if problems else 0
    if args.write:
        table = render_table()
        for doc in DOCS:
            if doc.exists() and START in doc.read_text():
                doc.write_text(replace_between_markers(doc.read_text(), table))
                print(f"updated {doc.relative_to(ROOT)}")
        return 0
    print(render_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
