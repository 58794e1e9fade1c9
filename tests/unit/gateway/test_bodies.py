"""The gateway's own JSON bodies are byte for byte what FastAPI writes for the route's response model."""

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from admint.gateway.bodies import as_json, json_response
from admint.gateway.schemas import GenerationPage, GenerationView
from admint.gateway.stores import ListedGeneration
from admint.gateway.views import generation_view, summary
from tests.support import builders
from tests.support.documents import completed, fake_presign

pytestmark = pytest.mark.unit


def _both_ways(model: BaseModel) -> tuple[bytes, bytes, str]:
    """(what FastAPI writes returning the model, what `as_json` writes, the content type of json_response)."""
    app = FastAPI()

    @app.get("/model", response_model=type(model))
    async def by_fastapi() -> BaseModel:
        return model

    @app.get("/bytes", response_model=type(model))
    async def by_us():  # type: ignore[no-untyped-def]
        return json_response(as_json(model))

    with TestClient(app) as client:
        ours = client.get("/bytes")
        return client.get("/model").content, ours.content, ours.headers["content-type"]


async def test_a_generation_view_is_written_exactly_as_fastapi_writes_it() -> None:
    for doc in (completed(), builders.generation("G2")):
        view = await generation_view(doc, fake_presign, "https://api", datetime(2030, 1, 1, tzinfo=UTC))
        assert isinstance(view, GenerationView)
        fastapi_body, ours, content_type = _both_ways(view)
        assert ours == fastapi_body and content_type == "application/json"


def test_a_list_page_is_written_exactly_as_fastapi_writes_it() -> None:
    listed = ListedGeneration.model_validate(builders.generation("G3").model_dump(by_alias=True))
    page = GenerationPage(items=[summary(listed, "https://api")], next_cursor="abc")
    fastapi_body, ours, _ = _both_ways(page)
    assert ours == fastapi_body
