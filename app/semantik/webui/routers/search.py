"""Search across collections: one result per document, paged."""

from __future__ import annotations

import time
from dataclasses import asdict

from fastapi import APIRouter

from semantik.webui import searching
from semantik.webui.deps import CurrentUser, Db, Settings_, Vecpipe
from semantik.webui.schemas import (
    DocumentResultOut,
    PassageOut,
    SearchHitOut,
    SearchIn,
    SearchOut,
)

router = APIRouter(prefix="/api/search", tags=["search"])


def passage_out(passage: searching.Passage) -> PassageOut:
    return PassageOut(
        chunk_index=passage.chunk_index, start=passage.start, end=passage.end,
        snippet=passage.snippet.text, highlights=passage.snippet.highlights,
        answer=passage.snippet.answer, answer_start=passage.answer_start,
        answer_end=passage.answer_end,
    )


@router.post("", response_model=SearchOut)
async def search(
    body: SearchIn, _: CurrentUser, conn: Db, vecpipe: Vecpipe, settings: Settings_
) -> SearchOut:
    started = time.perf_counter()
    page = await searching.search(
        conn, vecpipe, settings, body.collections, body.query, k=body.k, offset=body.offset,
        mode=body.mode, file_types=body.file_types, folder=body.folder, sort=body.sort,
    )
    results = [
        DocumentResultOut(
            **{
                k: v for k, v in asdict(r).items()
                if k not in ("passage", "more_passages", "candidates")
            },
            passage=passage_out(r.passage),
            more_passages=[passage_out(p) for p in r.more_passages],
        )
        for r in page.results
    ]
    return SearchOut(
        query=body.query,
        model=page.model,
        results=results,
        total=page.total,
        offset=page.offset,
        next_offset=page.next_offset,
        no_good_match=page.no_good_match,
        indexing=page.indexing,
        hits=[
            SearchHitOut(
                collection=r.collection, path=r.path, document_id=r.document_id,
                chunk_index=r.passage.chunk_index, score=r.score, start=r.passage.start,
                end=r.passage.end, snippet=r.passage.snippet.text,
                highlights=r.passage.snippet.highlights,
            )
            for r in page.results
        ],
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )
