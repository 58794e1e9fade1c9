"""Which registry file the process uses: the one ADMINT_MODEL_REGISTRY names, read as the settings read it."""

from pathlib import Path

import pytest

from admint.providers.registry import REGISTRY_FILE, configured_registry_file, load_registry
from admint.providers.settings import ProviderSettings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("variable", ["ADMINT_MODEL_REGISTRY", "admint_model_registry"])
def test_the_named_file_is_used_as_the_settings_name_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        variable: str) -> None:
    registry = tmp_path / "negotiated.yaml"
    registry.write_text(REGISTRY_FILE.read_text())
    monkeypatch.setenv(variable, str(registry))
    assert configured_registry_file() == registry == Path(ProviderSettings().model_registry or "")
    assert load_registry().get("offline-video").name == "offline-video"


def test_without_the_variable_the_built_in_file_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADMINT_MODEL_REGISTRY", raising=False)
    monkeypatch.delenv("admint_model_registry", raising=False)
    assert ProviderSettings().model_registry is None
    assert configured_registry_file() == REGISTRY_FILE
