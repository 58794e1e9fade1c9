"""ADMINT_* variables we set must be settings the code reads: a misspelt key is silently ignored by
pydantic-settings (extra="ignore"), so it is caught here instead."""

from __future__ import annotations

import importlib
from pathlib import Path

from pydantic_settings import BaseSettings

from admint.core.settings import CoreSettings
from admint.core.topology import SERVICES

PREFIX = "ADMINT_"
DEPLOY_ONLY = frozenset(
    {
        "ADMINT_IMAGE_SERVICE",  # baked into the image: which module `python -m admint.<svc>` runs
        "ADMINT_HEALTHCHECK_URL",  # optional override for infra/healthcheck.py
    }
)


def settings_classes() -> list[type[BaseSettings]]:
    """CoreSettings plus every settings class the services and the gateway declare in their config.py."""
    found: list[type[BaseSettings]] = [CoreSettings]
    for module_name in [f"admint.{svc}.config" for svc in SERVICES] + ["admint.gateway.config"]:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue  # not written yet; CoreSettings still covers the shared keys
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseSettings) and value not in found:
                found.append(value)
    return found


def known_keys() -> set[str]:
    keys = set(DEPLOY_ONLY)
    for cls in settings_classes():
        prefix = str(cls.model_config.get("env_prefix", ""))
        keys |= {f"{prefix}{name}".upper() for name in cls.model_fields}
    return keys


def unknown_keys(names: list[str], where: str) -> list[str]:
    known = known_keys()
    return [
        f"{where}: {name} is not a setting of CoreSettings or any service config (typo?)"
        for name in names
        if name.startswith(PREFIX) and name not in known
    ]


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; comments and blanks ignored (the subset docker-compose and kustomize agree on)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values
