"""The app's route table, flattened: the registries that must name every route (the access matrix, the concurrent
writes, the parameter extremes, the page walks) all read it from here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute


def iter_routes(routes: list[Any], prefix: str = "") -> Iterator[APIRoute]:
    """Flatten the app's routes (FastAPI keeps included routers as nested entries)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # fastapi's included-router entry
            yield from iter_routes(route.original_router.routes, prefix + route.include_context.prefix)
