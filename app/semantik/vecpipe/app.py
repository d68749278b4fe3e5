"""vecpipe's app factory. Everything heavy (model, store, queue) is built in the lifespan.

Run with ``uvicorn --factory semantik.vecpipe.app:create_app`` (or gunicorn with uvicorn workers
when the store is a Qdrant server; the embedded store allows exactly one process).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from semantik.shared import api
from semantik.shared.embedding import Embedder
from semantik.shared.logging import setup_logging
from semantik.shared.metrics import RecordRequests, VecpipeMetrics
from semantik.shared.settings import Settings, get_settings
from semantik.shared.vectorstore import (
    CollectionNotFoundError,
    StoreError,
    StoreUnavailableError,
    make_store,
)
from semantik.shared.vectorstore.bm25 import Bm25Encoder
from semantik.vecpipe.batching import EmbedBatcher
from semantik.vecpipe.deps import require_api_key
from semantik.vecpipe.optimizer import IndexBuilder
from semantik.vecpipe.routers import backup, collections, embed, health, models, points, search
from semantik.vecpipe.runtime import Services

log = logging.getLogger("semantik.vecpipe")


class SingleProcessError(RuntimeError):
    """The embedded store was asked to run under several worker processes."""


def check_process_model(settings: Settings) -> None:
    if settings.vector_store == "embedded" and settings.workers > 1:
        raise SingleProcessError(
            f"SEMANTIK_WORKERS={settings.workers}, but the embedded vector store can be opened "
            "by one process only (its write-ahead log is locked). Run vecpipe with "
            "SEMANTIK_WORKERS=1, or use a Qdrant server (SEMANTIK_VECTOR_STORE=qdrant) to run "
            "several workers."
        )


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings: Settings = app.state.settings
    metrics: VecpipeMetrics = app.state.metrics
    check_process_model(settings)
    embedder = app.state.embedder
    if embedder is None:
        embedder = await asyncio.to_thread(Embedder.from_settings, settings)
        # The first forward pass allocates and tunes kernels (~1 s on CPU): not on a request.
        await asyncio.to_thread(embedder.encode, ["warm up"], "query")
    metrics.model_loaded.set(1)
    store = await asyncio.to_thread(make_store, settings)
    batcher = EmbedBatcher(embedder, settings.batch_size, settings.batch_wait_ms, metrics)
    await batcher.start()
    builder = IndexBuilder(store, metrics)
    app.state.services = Services(
        settings=settings,
        metrics=metrics,
        embedder=embedder,
        store=store,
        batcher=batcher,
        index_builder=builder,
        bm25=Bm25Encoder(settings.bm25_language),
    )
    log.info(
        "vecpipe ready: model %s on %s (%s), %s store",
        embedder.name,
        embedder.info.device,
        embedder.info.precision,
        store.kind,
    )
    try:
        yield
    finally:
        app.state.services = None
        metrics.model_loaded.set(0)
        await batcher.stop()
        # A running index build finishes first: closing a shard under it would lose the build.
        await asyncio.to_thread(builder.stop)
        await asyncio.to_thread(store.close)
        log.info("vecpipe stopped")


def create_app(settings: Settings | None = None, *, embedder: Embedder | None = None) -> FastAPI:
    """``embedder``: an already loaded model to serve (tests share one across apps); by default
    the lifespan loads the one the settings name."""
    settings = settings or get_settings()
    setup_logging(settings)
    app = FastAPI(
        title="Semantik vecpipe",
        summary="Embedding and vector search API (internal; webui is its client).",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.embedder = embedder
    app.state.metrics = VecpipeMetrics()
    app.state.services = None
    api.install(app, max_body_bytes=settings.vecpipe_max_request_bytes)
    app.add_middleware(RecordRequests, metrics=app.state.metrics)

    # Store errors are mapped here only: routes let them through.
    @app.exception_handler(CollectionNotFoundError)
    async def collection_not_found(_: Request, exc: CollectionNotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(StoreUnavailableError)
    async def store_unavailable(_: Request, exc: StoreUnavailableError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(StoreError)
    async def store_error(_: Request, exc: StoreError) -> JSONResponse:
        log.warning("vector store error: %s", exc)
        return JSONResponse({"detail": str(exc)}, status_code=500)

    app.include_router(health.router)
    protected = [Depends(require_api_key)]
    for module in (models, embed, collections, points, search, backup):
        app.include_router(
            module.router, dependencies=protected, responses=api.error_responses(401, 503)
        )
    return app
