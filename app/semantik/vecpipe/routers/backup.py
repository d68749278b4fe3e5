"""Backups of the embedded store: only vecpipe holds the shards open (their WAL is locked), so it
writes the consistent copy itself. `semantik backup` is the client (semantik.backup.vectors)."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from semantik.backup.vectors import SNAPSHOT_HEADER_POINTS
from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.shared.schemas import NAME_PATTERN, ErrorResponse
from semantik.vecpipe.deps import ServicesDep

router = APIRouter(
    prefix="/admin", tags=["admin"], route_class=StrictJSONRoute,
    responses=error_responses(404, 409),
)


@router.post(
    "/collections/{name}/snapshot",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/x-tar": {}}, "description": "tar of the collection"},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
    },
)
async def snapshot_collection(
    services: ServicesDep, name: str = Path(pattern=NAME_PATTERN)
) -> FileResponse:
    """Flush the collection, hold its writes while its directory is copied into a tar, and
    return that tar (the X-Points-Count header gives the points it holds)."""
    store = services.store
    if store.kind != "embedded":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "the vector store is a Qdrant server: back it up with Qdrant's snapshot API",
        )
    # data_dir is vecpipe's writable area (ProtectSystem=strict); the tar is deleted once sent.
    spool = services.settings.data_dir / ".snapshots"
    spool.mkdir(mode=0o700, exist_ok=True)
    dest = spool / f"{name}-{uuid.uuid4().hex}.tar"
    try:
        points = await asyncio.to_thread(store.snapshot, name, str(dest))
    except BaseException:  # a missing collection included (a 404, mapped in app.py)
        dest.unlink(missing_ok=True)
        raise
    return FileResponse(
        dest,
        media_type="application/x-tar",
        headers={SNAPSHOT_HEADER_POINTS: str(points)},
        background=BackgroundTask(dest.unlink, missing_ok=True),
    )
