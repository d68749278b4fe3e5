"""Search across collections: one result per document, paged."""

from __future__ import annotations

import asyncio
import time
from pathlib import PurePosixPath

from fastapi import APIRouter, Query, Response

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.shared.extraction import ExtractionError, extract
from semantik.webui import catalog, searching
from semantik.webui.deps import CurrentUser, Db, Settings_, Vecpipe
from semantik.webui.errors import InvalidInput, NotFound
from semantik.webui.paths import resolve_document
from semantik.webui.schemas import (
    DocumentResultOut,
    PassageOut,
    PreviewOut,
    SearchHitOut,
    SearchIn,
    SearchOut,
)

router = APIRouter(
    prefix="/api/search", tags=["search"], route_class=StrictJSONRoute,
    responses=error_responses(400, 401, 404, 409, 413, 503),
)


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
) -> Response:
    started = time.perf_counter()
    page = await searching.search(
        conn, vecpipe, settings, body.collections, body.query, k=body.k, offset=body.offset,
        mode=body.mode, file_types=body.file_types, folder=body.folder, sort=body.sort,
    )
    results = [
        DocumentResultOut(
            **{
                **r.public(),
                "passage": passage_out(r.passage),  # type: ignore[arg-type]
                "more_passages": [passage_out(p) for p in r.more_passages],
            }
        )
        for r in page.results
    ]
    out = SearchOut(
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
            if r.passage is not None
        ],
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )
    # Serialised here: returned as a model, FastAPI would dump it to a dict, validate that against
    # SearchOut again and only then serialise it.
    return Response(out.model_dump_json(), media_type="application/json")


@router.get("/preview", response_model=PreviewOut)
async def preview(
    _: CurrentUser, conn: Db, settings: Settings_,
    collection: str = Query(min_length=1, max_length=64),
    document_id: str = Query(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$"),
) -> PreviewOut:
    """A search result's document as clean text: the text indexing extracted (HTML and Markdown
    without markup, PDF and DOCX as text), which the answer offsets of results index."""
    found = catalog.get_collection(conn, collection)
    row = catalog.documents_by_id(conn, found.id, [document_id]).get(document_id)
    if row is None:
        raise NotFound(f"document {document_id} is not in collection {collection!r}")
    file = resolve_document(settings.documents_root, found.source, row["path"])
    try:
        document = await asyncio.to_thread(extract, file, settings.max_file_bytes)
    except ExtractionError as exc:
        raise InvalidInput(f"document cannot be shown: {exc}") from exc
    path = f"{found.source}/{row['path']}" if found.source else row["path"]
    return PreviewOut(
        collection=collection, document_id=document_id, path=path,
        title=row["title"] or document.title or PurePosixPath(path).name, text=document.text,
    )
