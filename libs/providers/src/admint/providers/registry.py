"""The model registry: each model's native chunk length, price and concurrency limit, from models.yaml."""

import os
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

REGISTRY_FILE = Path(__file__).with_name("models.yaml")


class ModelInfo(BaseModel):
    name: str
    kind: Literal["planner", "image", "video", "music"]
    provider: Literal["offline", "openai", "replicate"]
    ref: str = Field(default="", description="Provider-side model reference, e.g. owner/name.")
    price_usd: float = Field(ge=0)
    unit: Literal["request", "image", "second", "video", "track"]
    concurrency: int = Field(default=1, ge=1)
    chunk_duration_s: float | None = Field(default=None, gt=0)
    conditioning: str | None = None
    latency_s: float = Field(default=0.0, ge=0, description="Typical wall time of one call (estimates only).")

    def price(self, units: float = 1.0) -> float:
        """Cost of `units` (seconds for per-second models, otherwise one call)."""
        return round(self.price_usd * (units if self.unit == "second" else 1.0), 6)


class ModelRegistry(BaseModel):
    version: int
    models: dict[str, ModelInfo]

    def get(self, name: str) -> ModelInfo:
        try:
            return self.models[name]
        except KeyError:
            raise KeyError(f"model {name!r} is not in the registry ({', '.join(sorted(self.models))})") from None


def load_registry(path: Path | None = None) -> ModelRegistry:
    """The registry at `path`, else the one ADMINT_MODEL_REGISTRY names, else the built-in models.yaml."""
    return _load(path or configured_registry_file())


REGISTRY_VARIABLE = "ADMINT_MODEL_REGISTRY"
"""ProviderSettings.model_registry's variable."""


def configured_registry_file() -> Path:
    """The file ADMINT_MODEL_REGISTRY names (any case, as the settings read it), else the built-in one. Read from
    the environment on each call (tests change it), not through a settings object: building ProviderSettings
    cost 2 ms of the event loop on every priced call (each chunk and frame)."""
    wanted = REGISTRY_VARIABLE.lower()
    configured = next((value for name, value in os.environ.items() if name.lower() == wanted), None)
    return Path(configured) if configured else REGISTRY_FILE


@cache
def _load(path: Path) -> ModelRegistry:
    raw = yaml.safe_load(path.read_text())
    for name, entry in raw["models"].items():
        entry["name"] = name
    return ModelRegistry.model_validate(raw)
