"""Search across collections."""

from __future__ import annotations

import time

from fastapi import APIRouter

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.webui import searching
from semantik.webui.deps import CurrentUser, Db, Settings_, Vecpipe
from semantik.webui.schemas import SearchHitOut, SearchIn, SearchOut

router = APIRouter(
    prefix="/api/search", tags=["search"], route_class=StrictJSONRoute,
    responses=error_responses(400, 401, 404, 409, 413, 503),
)


@router.post("", response_model=SearchOut)
async def search(
    body: SearchIn, _: CurrentUser, conn: Db, vecpipe: Vecpipe, settings: Settings_
) -> SearchOut:
    started = time.perf_counter()
    hits, model = await searching.search(
        conn, vecpipe, body.collections, body.query, k=body.k, mode=body.mode,
        max_query_chars=settings.max_query_chars,
    )
    return SearchOut(
        query=body.query,
        model=model,
        hits=[
            SearchHitOut(
                collection=h.collection, path=h.path, document_id=h.document_id,
                chunk_index=h.chunk_index, score=h.score, start=h.start, end=h.end,
                snippet=h.snippet.text, highlights=h.snippet.highlights,
            )
            for h in hits
        ],
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )
