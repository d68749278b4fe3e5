"""Indexing jobs: list, inspect, cancel, and follow live (Server-Sent Events)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.shared.schemas import MAX_INT64
from semantik.webui import catalog
from semantik.webui.db import connect
from semantik.webui.deps import AdminUser, CurrentUser, Db, Settings_
from semantik.webui.schemas import JobOut

router = APIRouter(
    prefix="/api/jobs", tags=["jobs"], route_class=StrictJSONRoute,
    responses=error_responses(401, 403, 404, 409),
)
# Bounded: a larger number is a 422, not an overflow in SQLite.
JobId = Annotated[int, Path(ge=1, le=MAX_INT64)]
SSE_POLL_SECONDS = 0.5
SSE_KEEPALIVE_SECONDS = 15.0


def job_out(row: sqlite3.Row) -> JobOut:
    return JobOut(
        **{k: row[k] for k in JobOut.model_fields if k != "cancel_requested"},
        cancel_requested=bool(row["cancel_requested"]),
    )


@router.get("", response_model=list[JobOut])
def list_jobs(
    _: CurrentUser, conn: Db, collection: str | None = Query(None, max_length=64),
    limit: int = Query(50, ge=1, le=500),
) -> list[JobOut]:
    return [job_out(row) for row in catalog.list_jobs(conn, collection, limit)]


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: JobId, _: CurrentUser, conn: Db) -> JobOut:
    return job_out(catalog.get_job(conn, job_id))


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel(job_id: JobId, _: AdminUser, conn: Db) -> JobOut:
    """A queued job is cancelled at once; a running one stops after the files in hand (what was
    indexed stays indexed, and the next job continues from there)."""
    return job_out(catalog.request_cancel(conn, job_id))


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(
    job_id: JobId, request: Request, settings: Settings_, conn: Db, _: CurrentUser
) -> StreamingResponse:
    """Progress as Server-Sent Events: a ``progress`` event (the job as JSON) whenever it changes,
    then one ``end`` event when it finishes. Authenticated like every API call (Bearer header;
    read it with fetch() — tokens never go in URLs, where access logs would keep them)."""
    catalog.get_job(conn, job_id)  # 404 before the stream starts

    async def stream() -> AsyncIterator[str]:
        own = connect(settings.database_path)  # the request's connection closes with the handler
        try:
            last = None
            idle = 0.0
            yield "retry: 2000\n\n"
            while True:
                job = job_out(catalog.get_job(own, job_id))
                payload = job.model_dump_json()
                if payload != last:
                    last, idle = payload, 0.0
                    yield f"event: progress\ndata: {payload}\n\n"
                if job.status in catalog.FINAL_JOB_STATES:
                    yield f"event: end\ndata: {json.dumps({'status': job.status})}\n\n"
                    return
                if await request.is_disconnected():
                    return
                await asyncio.sleep(SSE_POLL_SECONDS)
                idle += SSE_POLL_SECONDS
                if idle >= SSE_KEEPALIVE_SECONDS:
                    idle = 0.0
                    yield ": keep-alive\n\n"  # comment line: keeps proxies from timing out
        finally:
            own.close()

    return StreamingResponse(
        stream(), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
