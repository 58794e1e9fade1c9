"""A model registry with the offline models priced, so the offline path spends (fake) money to account for."""

from pathlib import Path

import yaml

from admint.providers.registry import REGISTRY_FILE

OFFLINE_PRICES = {"offline-planner": 0.001, "offline-image": 0.01, "offline-video": 0.1, "offline-music": 0.05}


def priced_registry(folder: Path, prices: dict[str, float] | None = None) -> Path:
    raw = yaml.safe_load(REGISTRY_FILE.read_text())
    for name, price in (prices or OFFLINE_PRICES).items():
        raw["models"][name]["price_usd"] = price
    path = folder / "priced-models.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path
