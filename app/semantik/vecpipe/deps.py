"""Request dependencies: the services, API-key auth, and collection lookup."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

from semantik.shared.vectorstore import CollectionState
from semantik.vecpipe.runtime import Services


# Plain ``async def``: FastAPI runs a ``def`` dependency in its thread pool, a thread hop per
# request for nothing (bench/bench_search.py).
async def get_services(request: Request) -> Services:
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "vecpipe is starting")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def require_api_key(
    request: Request, x_api_key: Annotated[str | None, Header()] = None
) -> None:
    """When settings.internal_api_key is set, every non-health route needs X-API-Key: any key of
    the ring (during a rotation both the old and the new key are accepted)."""
    accepted = request.app.state.settings.internal_api_keys
    if not accepted:
        return
    given = (x_api_key or "").encode()
    # Compare with every key (no early exit): the time taken does not tell which one matched.
    matches = [secrets.compare_digest(given, key.encode()) for key in accepted]
    if x_api_key is None or not any(matches):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong X-API-Key header",
            headers={"WWW-Authenticate": "X-API-Key"},
        )


async def get_collection(name: str, services: ServicesDep) -> CollectionState:
    """The collection named in the path (CollectionNotFoundError is a 404, mapped in app.py)."""
    return await asyncio.to_thread(services.store.get_collection, name)


CollectionDep = Annotated[CollectionState, Depends(get_collection)]


def require_served_model(collection: CollectionState, services: Services) -> None:
    """vecpipe can only embed with the model it serves: a collection built by another is refused."""
    if not services.same_model(collection.model):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"collection {collection.name!r} was built with model {collection.model!r}, "
            f"but this vecpipe serves {services.model_name!r}",
        )
