"""The `Allow` header of a 405: every method the path answers to, not only those of the first route that matched.

Starlette answers a 405 from the first route whose path matched, so `/v1/generations` (GET and POST declared as
two routes) said `Allow: POST` alone. RFC 9110 §15.5.6 wants the whole set, and a client that reads it (or a
fuzzer that checks it) must see GET too.
"""

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import Route


def _routes(routes: Iterable[Any]) -> Iterator[Route]:
    """Every path route, also those of included routers (FastAPI keeps those as router references)."""
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _routes(included.routes)


def allowed_methods(routes: Iterable[Any], path: str) -> list[str]:
    """The methods of the path template that routes `path` (the first that matches, as the router picks it):
    `/v1/generations/estimate` is its own resource even though `/v1/generations/{generation_id}` matches it too."""
    listed = [route for route in _routes(routes) if route.methods]
    template = next((route.path for route in listed if route.path_regex.match(path)), None)
    methods: set[str] = set()
    for route in listed:
        if route.path == template:
            methods |= set(route.methods or ())
    return sorted(methods)
