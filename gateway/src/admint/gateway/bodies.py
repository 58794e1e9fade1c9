"""JSON responses the gateway serializes itself, so a reused response is reused as bytes.

A route declares its `response_model` (the OpenAPI document and clients read it) and returns `json_response`:
FastAPI passes a `Response` through without validating and serializing the model again on every request.
`as_json` writes exactly what FastAPI would have written for that model (tests/unit/gateway/test_bodies.py).
"""

from fastapi import Response
from pydantic import BaseModel

MEDIA_TYPE = "application/json"


def as_json(model: BaseModel) -> bytes:
    """The model as FastAPI serializes a response_model: by alias, nothing excluded, compact."""
    return model.__pydantic_serializer__.to_json(model, by_alias=True)


def json_response(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type=MEDIA_TYPE)
