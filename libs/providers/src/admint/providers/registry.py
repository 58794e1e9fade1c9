"""The model registry: each model's native chunk length, price and concurrency limit, from models.yaml."""

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


def configured_registry_file() -> Path:
    from admint.providers.settings import ProviderSettings

    configured = ProviderSettings().model_registry
    return Path(configured) if configured else REGISTRY_FILE


@cache
def _load(path: Path) -> ModelRegistry:
    raw = yaml.safe_load(path.read_text())
    for name, entry in raw["models"].items():
        entry["name"] = name
    return ModelRegistry.model_validate(raw)
