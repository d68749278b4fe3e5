"""Search one collection: dense, keyword (BM25) or hybrid (both fused, DBSF by default); each
hit's answer passage from the sentence vectors stored at indexing; and, for chunks indexed
before those were stored, the answer passage of given texts (their sentences embedded)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, HTTPException, status

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.shared.embedding import canonical
from semantik.shared.passages import SENTENCE_FIELDS, best_passage, sentence_spans
from semantik.shared.schemas import (
    Passage,
    PassagesRequest,
    PassagesResponse,
    SearchHit,
    SearchRequest,
    SearchResponse,
    SearchTimings,
)
from semantik.shared.vectorstore import PointFilter, StoreQuery
from semantik.vecpipe.deps import CollectionDep, ServicesDep, require_served_model

# Chunks per document answered on request: the best two (a sentence can straddle a chunk edge).
ANSWER_CHUNKS = 2
# No prefix: /passages is not about one collection.
router = APIRouter(tags=["search"], route_class=StrictJSONRoute, responses=error_responses(413))


@router.post(
    "/collections/{name}/search", response_model=SearchResponse,
    responses=error_responses(404, 409),
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
    if mode in ("dense", "hybrid") or body.explain or body.answers:
        require_served_model(collection, services)
        dense = (await services.embed_query(body.query)).tolist()
    if mode in ("keyword", "hybrid") or body.explain:
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
        fusion=body.fusion or services.settings.search_fusion,
        # Never returned (about 10 KiB a chunk): the store reads them itself to answer.
        without=SENTENCE_FIELDS,
        explain=body.explain,
        answer_chunks=ANSWER_CHUNKS if body.answers else 0,
    )
    found = await asyncio.to_thread(services.store.retrieve, collection.name, query)
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
                dense_score=found.dense_scores.get(h.id),
                keyword_score=found.keyword_scores.get(h.id),
                answer=Passage(start=a[0], end=a[1], score=round(a[2], 4)) if a else None,
            )
            for h, a in zip(found.hits, found.answers, strict=True)
        ],
        timings=SearchTimings(
            embed_ms=round((embedded - start) * 1000, 3),
            search_ms=round((searched - embedded) * 1000, 3),
            total_ms=round((time.perf_counter() - start) * 1000, 3),
        ),
    )


@router.post("/passages", response_model=PassagesResponse)
async def passages(body: PassagesRequest, services: ServicesDep) -> PassagesResponse:
    """For each text, the sentence(s) closest in meaning to the query: the answer passage."""
    if len(body.query) > services.settings.max_query_chars:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"query longer than {services.settings.max_query_chars} characters",
        )
    spans = [sentence_spans(text) for text in body.texts]
    sentences = [text[a:b] for text, found in zip(body.texts, spans, strict=True) for a, b in found]
    query_vec, sentence_vecs = await asyncio.gather(
        services.embed_query(body.query), services.embed_sentences(sentences)
    )
    similarities = (sentence_vecs @ query_vec).tolist() if sentences else []
    out: list[Passage] = []
    at = 0
    for text, found in zip(body.texts, spans, strict=True):
        start, end, score = best_passage(text, found, similarities[at : at + len(found)])
        at += len(found)
        out.append(Passage(start=start, end=end, score=round(score, 4)))
    return PassagesResponse(passages=out)
