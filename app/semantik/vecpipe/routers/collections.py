"""Collections: create (dimension from the served model), list, get, delete, build index."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Response, status

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.shared.schemas import CollectionCreate, CollectionInfo, ErrorResponse
from semantik.shared.vectorstore import (
    CollectionExistsError,
    CollectionState,
)
from semantik.vecpipe.deps import CollectionDep, ServicesDep

router = APIRouter(
    prefix="/collections", tags=["collections"], route_class=StrictJSONRoute,
    responses=error_responses(404, 409, 413),
)
NOT_FOUND = {404: {"model": ErrorResponse}}


def to_info(state: CollectionState) -> CollectionInfo:
    return CollectionInfo(
        name=state.name,
        model=state.model,
        dimension=state.dimension,
        points_count=state.points_count,
        indexed=state.indexed,
    )


@router.post(
    "",
    response_model=CollectionInfo,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": CollectionInfo}, 409: {"model": ErrorResponse}},
)
async def create_collection(
    body: CollectionCreate, response: Response, services: ServicesDep
) -> CollectionInfo:
    if body.model is not None and not services.same_model(body.model):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"this vecpipe serves {services.model_name!r} and can only build collections with "
            f"it, not with {body.model!r}",
        )
    store = services.store
    try:
        state = await asyncio.to_thread(
            store.create_collection, body.name, services.model_name, services.embedder.dimension
        )
        return to_info(state)
    except CollectionExistsError:
        existing = await asyncio.to_thread(store.get_collection, body.name)
    if not services.same_model(existing.model):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"collection {body.name!r} already exists with model {existing.model!r}",
        )
    response.status_code = status.HTTP_200_OK  # idempotent: same name, same model
    return to_info(existing)


@router.get("", response_model=list[CollectionInfo])
async def list_collections(services: ServicesDep) -> list[CollectionInfo]:
    states = await asyncio.to_thread(services.store.list_collections)
    return [to_info(s) for s in sorted(states, key=lambda s: s.name)]


@router.get("/{name}", response_model=CollectionInfo, responses=NOT_FOUND)
async def get_collection(collection: CollectionDep) -> CollectionInfo:
    return to_info(collection)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_collection(name: str, services: ServicesDep) -> Response:
    await asyncio.to_thread(services.store.delete_collection, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{name}/optimize", status_code=status.HTTP_202_ACCEPTED, responses=NOT_FOUND)
async def optimize_collection(collection: CollectionDep, services: ServicesDep) -> dict:
    """Flush and build the HNSW index in the background (no-op on a Qdrant server)."""
    started = services.index_builder.request(collection.name)
    return {"collection": collection.name, "status": "started" if started else "queued"}
