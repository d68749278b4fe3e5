"""Search one collection: dense, keyword (BM25) or hybrid (both fused by RRF, the default)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, HTTPException, status

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.shared.embedding import canonical
from semantik.shared.schemas import (
    ErrorResponse,
    SearchHit,
    SearchRequest,
    SearchResponse,
    SearchTimings,
)
from semantik.shared.vectorstore import PointFilter, StoreQuery
from semantik.vecpipe.deps import CollectionDep, ServicesDep, require_served_model

router = APIRouter(
    prefix="/collections/{name}", tags=["search"], route_class=StrictJSONRoute,
    responses=error_responses(404, 409, 413),
)


@router.post(
    "/search",
    response_model=SearchResponse,
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
async def search(
    body: SearchRequest, collection: CollectionDep, services: ServicesDep
) -> SearchResponse:
    start = time.perf_counter()
    if body.model is not None and canonical(body.model) != canonical(collection.model):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"collection {collection.name!r} was built with model {collection.model!r}; "
            f"searching it with {body.model!r} is refused",
        )
    if len(body.query) > services.settings.max_query_chars:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"query longer than {services.settings.max_query_chars} characters",
        )
    mode = body.mode or services.settings.default_search_mode
    dense = sparse = None
    if mode in ("dense", "hybrid"):
        require_served_model(collection, services)
        dense = (await services.batcher.embed([body.query], "query"))[0].tolist()
    if mode in ("keyword", "hybrid"):
        sparse = services.bm25.query(body.query)
    embedded = time.perf_counter()
    flt = body.filter
    query = StoreQuery(
        mode=mode,
        k=body.k,
        dense=dense,
        sparse=sparse,
        filter=PointFilter(flt.document_ids, flt.paths, flt.path_prefix) if flt else None,
        score_threshold=body.score_threshold,
    )
    hits = await asyncio.to_thread(services.store.search, collection.name, query)
    searched = time.perf_counter()
    services.metrics.search_seconds.labels(mode).observe(searched - embedded)
    return SearchResponse(
        collection=collection.name,
        model=collection.model,
        mode=mode,
        hits=[
            SearchHit(
                id=str(h.payload.get("chunk_id", h.id)),
                score=h.score,
                document_id=str(h.payload.get("document_id", "")),
                path=str(h.payload.get("path", "")),
                chunk_index=int(h.payload.get("chunk_index", 0)),
                text=str(h.payload.get("text", "")),
                start=int(h.payload.get("start", 0)),
                end=int(h.payload.get("end", 0)),
            )
            for h in hits
        ],
        timings=SearchTimings(
            embed_ms=round((embedded - start) * 1000, 3),
            search_ms=round((searched - embedded) * 1000, 3),
            total_ms=round((time.perf_counter() - start) * 1000, 3),
        ),
    )
