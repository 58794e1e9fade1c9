"""The client's models name only fields the gateway's OpenAPI document has, so they cannot drift apart."""

from typing import Any

import pytest
from pydantic import BaseModel

from admint.client import models
from admint.gateway.app import create_app
from admint.gateway.config import GatewaySettings

pytestmark = pytest.mark.unit

COUNTERPART = {
    models.Accepted: "GenerationAccepted", models.Generation: "GenerationView", models.Rendition: "RenditionView",
    models.Costs: "CostSummary", models.Failure: "ErrorView", models.Links: "GenerationLinks",
    models.GenerationSummary: "GenerationSummary", models.GenerationPage: "GenerationPage",
    models.GenerationRequest: "GenerationCreate", models.Asset: "AssetView", models.AssetPage: "AssetPage",
    models.ApiKey: "KeyView", models.CreatedKey: "KeyCreated", models.Me: "MeView", models.Limits: "Limits",
}


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    return dict(create_app(GatewaySettings()).openapi()["components"]["schemas"])


@pytest.mark.parametrize(("model", "name"), COUNTERPART.items(), ids=lambda v: getattr(v, "__name__", v))
def test_client_fields_exist_in_the_api(model: type[BaseModel], name: str, schemas: dict[str, Any]) -> None:
    api = schemas[name]["properties"]
    assert set(model.model_fields) <= set(api), set(model.model_fields) - set(api)


def test_the_request_model_accepts_exactly_what_the_api_accepts(schemas: dict[str, Any]) -> None:
    assert set(models.GenerationRequest.model_fields) == set(schemas["GenerationCreate"]["properties"])
    assert models.GenerationRequest(brief="x", duration_s=15).body() == {"brief": "x", "duration_s": 15}


def test_unknown_fields_from_a_newer_gateway_are_kept() -> None:
    page = models.GenerationPage.model_validate({"items": [], "next_cursor": None, "total": 3})
    assert page.model_dump()["total"] == 3
