"""webui's app factory: ``uvicorn --factory semantik.webui.app:create_app``.

The database is migrated, interrupted jobs are marked, and the vecpipe client and the job runner
are built in the lifespan; nothing is built at import time.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from semantik import __version__
from semantik.shared import api
from semantik.shared.logging import setup_logging
from semantik.shared.metrics import RecordRequests
from semantik.shared.settings import Settings, get_settings
from semantik.webui import catalog
from semantik.webui.db import ConnectionPool, open_database
from semantik.webui.errors import SemantikError, TooManyAttempts, Unauthorized
from semantik.webui.headers import ResponseHeaders
from semantik.webui.indexer import Indexer, JobRunner
from semantik.webui.metrics import WebuiMetrics
from semantik.webui.routers import auth, collections, health, jobs, search, sources, users
from semantik.webui.vecpipe_client import VecpipeClient

log = logging.getLogger("semantik.webui")
STATIC_DIR = Path(__file__).parent / "static"
MIN_JWT_SECRET_CHARS = 32


class ConfigurationError(RuntimeError):
    pass


def check_settings(settings: Settings) -> None:
    if settings.jwt_secret is None or not settings.jwt_secret.get_secret_value():
        raise ConfigurationError(
            "SEMANTIK_JWT_SECRET is not set: webui signs its access tokens with it and will not "
            "start without one. Generate one with `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'` and put it in the environment or the secrets dir."
        )
    keys = settings.jwt_keys
    if not keys:
        raise ConfigurationError("SEMANTIK_JWT_SECRET holds no key (only blank or # lines)")
    for key in keys:
        if len(key.secret) < MIN_JWT_SECRET_CHARS:
            raise ConfigurationError(
                f"SEMANTIK_JWT_SECRET: key {key.kid} is shorter than {MIN_JWT_SECRET_CHARS} "
                "characters; use a long random value (e.g. secrets.token_urlsafe(48))"
            )


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings: Settings = app.state.settings
    conn = open_database(settings.database_path)
    try:
        interrupted = catalog.mark_interrupted_jobs(conn)
    finally:
        conn.close()
    if interrupted:
        log.warning("marked jobs %s as interrupted (their process is gone)", interrupted)
    vecpipe = VecpipeClient.from_settings(settings, transport=app.state.vecpipe_transport)
    runner = JobRunner(Indexer(settings, vecpipe, app.state.metrics))
    app.state.vecpipe, app.state.runner = vecpipe, runner
    runner.start()
    log.info("webui ready on documents root %s, vecpipe at %s", settings.documents_root,
             settings.vecpipe_url)
    try:
        yield
    finally:
        await runner.stop()
        await vecpipe.aclose()
        app.state.db_pool.close()


def create_app(
    settings: Settings | None = None, *, vecpipe_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """Build the webui app. ``vecpipe_transport`` lets tests route vecpipe calls in-process."""
    settings = settings or get_settings()
    check_settings(settings)
    setup_logging(settings)
    # httpx logs every vecpipe call at INFO; the request metrics already count them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = FastAPI(
        title="Semantik",
        summary="Semantic search over your own documents.",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db_pool = ConnectionPool(settings.database_path)
    app.state.vecpipe_transport = vecpipe_transport
    app.state.metrics = WebuiMetrics()
    api.install(app, max_body_bytes=settings.webui_max_request_bytes)
    app.add_middleware(RecordRequests, metrics=app.state.metrics)
    app.add_middleware(ResponseHeaders)

    @app.exception_handler(SemantikError)
    async def semantik_error(_: Request, exc: SemantikError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        if isinstance(exc, TooManyAttempts):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    for module in (health, auth, users, collections, jobs, search, sources):
        app.include_router(module.router)

    if (STATIC_DIR / "index.html").is_file():
        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="static")
    else:
        @app.get("/", include_in_schema=False)
        def root() -> RedirectResponse:
            return RedirectResponse("/docs")

    return app
