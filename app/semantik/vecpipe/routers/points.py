"""Chunks in, embedded by vecpipe; documents out."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.shared.passages import pack_vectors, sentence_spans
from semantik.shared.schemas import (
    DeleteDocumentsRequest,
    DeleteDocumentsResponse,
    ErrorResponse,
    UpsertRequest,
    UpsertResponse,
)
from semantik.shared.vectorstore import StorePoint, point_id
from semantik.vecpipe.deps import CollectionDep, ServicesDep, require_served_model

router = APIRouter(
    prefix="/collections/{name}/points", tags=["points"], route_class=StrictJSONRoute,
    responses=error_responses(404, 409, 413),
)
ERRORS = {404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}}


@router.post("", response_model=UpsertResponse, responses=ERRORS)
async def upsert_points(
    body: UpsertRequest, collection: CollectionDep, services: ServicesDep
) -> UpsertResponse:
    require_served_model(collection, services)
    start = time.perf_counter()
    # The document's title and path go with every chunk into both vectors (bench_retrieval.py:
    # +0.02 nDCG@10), never into the stored text that snippets are cut from.
    embedded_texts = [f"{c.context}\n\n{c.text}" if c.context else c.text for c in body.chunks]
    # Sentence vectors for the answer passage come from the same model pass (late chunking):
    # spans in the chunk's text, shifted past the context in the embedded text.
    spans = [sentence_spans(c.text) for c in body.chunks]
    shifted = [
        [(a + len(e) - len(c.text), b + len(e) - len(c.text)) for a, b in found]
        for c, e, found in zip(body.chunks, embedded_texts, spans, strict=True)
    ]
    vectors, sentence_vectors = await services.batcher.embed_with_spans(embedded_texts, shifted)
    embedded = time.perf_counter()
    points = [
        StorePoint(
            id=point_id(chunk.id),
            dense=vector.tolist(),
            sparse=services.bm25.document(embedded_text),
            payload={
                "chunk_id": chunk.id,
                "document_id": chunk.document_id,
                "path": chunk.path,
                "chunk_index": chunk.chunk_index,
                "text": chunk.text,
                "start": chunk.start,
                "end": chunk.end,
                "sentences": [list(span) for span in found],
                "sentence_vectors": pack_vectors(pooled),
            },
        )
        for chunk, embedded_text, vector, found, pooled in zip(
            body.chunks, embedded_texts, vectors, spans, sentence_vectors, strict=True
        )
    ]
    # A collection deleted while we were embedding: CollectionNotFoundError, a 404 (app.py).
    pending = await asyncio.to_thread(services.store.upsert, collection.name, points)
    stored = time.perf_counter()
    services.metrics.points_upserted.inc(len(points))
    threshold = services.settings.optimize_after_points
    if threshold and pending >= threshold:
        services.index_builder.request(collection.name)
    return UpsertResponse(
        upserted=len(points),
        embed_ms=round((embedded - start) * 1000, 3),
        store_ms=round((stored - embedded) * 1000, 3),
    )


@router.post("/delete", response_model=DeleteDocumentsResponse, responses=ERRORS)
async def delete_documents(
    body: DeleteDocumentsRequest, collection: CollectionDep, services: ServicesDep
) -> DeleteDocumentsResponse:
    deleted = await asyncio.to_thread(
        services.store.delete_documents, collection.name, body.document_ids
    )
    return DeleteDocumentsResponse(deleted_documents=deleted)
