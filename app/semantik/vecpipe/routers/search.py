"""Search one collection: dense, keyword (BM25) or hybrid (both fused, DBSF by default); each
hit's answer passage from the sentence vectors stored at indexing; and, for chunks indexed
before those were stored, the answer passage of given texts (their sentences embedded)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, HTTPException, status

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.shared.embedding import canonical
from semantik.shared.passages import best_passage, sentence_spans, stored_answer
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

# Payload fields holding a chunk's sentence spans and vectors (routers/points.py).
SENTENCE_FIELDS = ("sentences", "sentence_vectors")
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
    query_vector = None
    if mode in ("dense", "hybrid") or body.explain or body.answers:
        require_served_model(collection, services)
        query_vector = await services.embed_query(body.query)
        dense = query_vector.tolist()
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
        # The stored sentences are read only to answer (about 10 KiB a chunk).
        without=() if body.answers else SENTENCE_FIELDS,
    )
    if body.explain:
        hits, dense_scores, keyword_scores = await asyncio.to_thread(
            services.store.search_explained, collection.name, query
        )
    else:
        hits = await asyncio.to_thread(services.store.search, collection.name, query)
        dense_scores = keyword_scores = {}
    answers = _answers(hits, query_vector) if body.answers else [None] * len(hits)
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
                dense_score=dense_scores.get(h.id),
                keyword_score=keyword_scores.get(h.id),
                answer=Passage(start=a[0], end=a[1], score=round(a[2], 4)) if a else None,
            )
            for h, a in zip(hits, answers, strict=True)
        ],
        timings=SearchTimings(
            embed_ms=round((embedded - start) * 1000, 3),
            search_ms=round((searched - embedded) * 1000, 3),
            total_ms=round((time.perf_counter() - start) * 1000, 3),
        ),
    )


def _answers(hits: list, query_vector) -> list[tuple[int, int, float] | None]:
    """The answer passage of the best ANSWER_CHUNKS hits of each document (hits come best first),
    from the sentence vectors stored with them; None for the others."""
    seen: dict[str, int] = {}
    out: list[tuple[int, int, float] | None] = []
    for h in hits:
        document = str(h.payload.get("document_id", ""))
        seen[document] = seen.get(document, 0) + 1
        out.append(
            stored_answer(str(h.payload.get("text", "")), h.payload, query_vector)
            if seen[document] <= ANSWER_CHUNKS else None
        )
    return out


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
