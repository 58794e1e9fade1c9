"""admint-client: the typed Python client of the admint HTTP API (the `admint` CLI is built on it)."""

from admint.client.http import DEFAULT_API_URL, AdmintClient, ApiClient, ApiError, Unreachable
from admint.client.models import (
    Accepted,
    ApiKey,
    Asset,
    AssetPage,
    CreatedKey,
    FeedEvent,
    Generation,
    GenerationPage,
    GenerationRequest,
    GenerationSummary,
    Me,
    Rendition,
)

__all__ = [
    "DEFAULT_API_URL", "Accepted", "AdmintClient", "ApiClient", "ApiError", "ApiKey", "Asset", "AssetPage",
    "CreatedKey", "FeedEvent", "Generation", "GenerationPage", "GenerationRequest", "GenerationSummary", "Me",
    "Rendition", "Unreachable",
]
