"""Collections: create (admin), list, inspect per-file state, index, delete, download documents."""

from __future__ import annotations

from fastapi import APIRouter, Query, status
from fastapi.responses import FileResponse

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.shared.schemas import MAX_INT64
from semantik.webui import catalog
from semantik.webui.collection_setup import create_collection
from semantik.webui.deps import AdminUser, CurrentUser, Db, Runner, Settings_, Vecpipe
from semantik.webui.errors import InvalidInput
from semantik.webui.headers import DOCUMENT_CSP
from semantik.webui.paths import resolve_document
from semantik.webui.routers.jobs import job_out
from semantik.webui.schemas import CollectionCreateIn, CollectionOut, FileOut, JobOut

router = APIRouter(
    prefix="/api/collections", tags=["collections"], route_class=StrictJSONRoute,
    responses=error_responses(400, 401, 403, 404, 409, 413, 503),
)


def collection_out(conn, collection: catalog.Collection) -> CollectionOut:  # type: ignore[no-untyped-def]
    return CollectionOut(
        **{k: v for k, v in collection.__dict__.items() if k != "id"},
        **catalog.collection_stats(conn, collection.id),
        active_job_id=catalog.active_job_id(conn, collection.id),
    )


@router.get("", response_model=list[CollectionOut])
def list_collections(_: CurrentUser, conn: Db) -> list[CollectionOut]:
    return [collection_out(conn, c) for c in catalog.list_collections(conn)]


@router.post("", response_model=CollectionOut, status_code=status.HTTP_201_CREATED)
async def create(
    body: CollectionCreateIn, admin: AdminUser, conn: Db, settings: Settings_,
    vecpipe: Vecpipe, runner: Runner,
) -> CollectionOut:
    collection = await create_collection(
        conn, vecpipe, settings, name=body.name, source=body.source, model=body.model,
        description=body.description, created_by=admin.id,
    )
    if body.index:
        catalog.create_job(conn, collection, admin.id)
        runner.wake()
    return collection_out(conn, collection)


@router.get("/{name}", response_model=CollectionOut)
def get(name: str, _: CurrentUser, conn: Db) -> CollectionOut:
    return collection_out(conn, catalog.get_collection(conn, name))


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(name: str, _: AdminUser, conn: Db, vecpipe: Vecpipe) -> None:
    """Delete the collection and its vectors (the documents themselves are never touched)."""
    catalog.delete_collection(conn, name)
    await vecpipe.delete_collection(name)


@router.post("/{name}/index", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def index(name: str, admin: AdminUser, conn: Db, runner: Runner) -> JobOut:
    """Queue an incremental indexing job; 409 when one is already queued or running."""
    job_id = catalog.create_job(conn, catalog.get_collection(conn, name), admin.id)
    runner.wake()
    return job_out(catalog.get_job(conn, job_id))


@router.get("/{name}/files", response_model=list[FileOut])
def files(
    name: str, _: CurrentUser, conn: Db,
    status_: str | None = Query(None, alias="status", pattern="^(indexed|error|unsupported)$"),
    limit: int = Query(500, ge=1, le=5000), offset: int = Query(0, ge=0, le=MAX_INT64),
) -> list[FileOut]:
    collection = catalog.get_collection(conn, name)
    return [
        FileOut(**{k: row[k] for k in FileOut.model_fields})
        for row in catalog.list_files(conn, collection.id, status_, limit, offset)
    ]


@router.get("/{name}/document", response_class=FileResponse)
def download(
    name: str, _: CurrentUser, conn: Db, settings: Settings_,
    path: str = Query(min_length=1, max_length=4096, description="Path relative to the root."),
) -> FileResponse:
    """Download a document of the collection. ``path`` is the one search hits carry (relative to
    the documents root); it must lie inside the collection's source directory."""
    collection = catalog.get_collection(conn, name)
    prefix = f"{collection.source}/" if collection.source else ""
    if not path.startswith(prefix):
        raise InvalidInput("path is not inside this collection's source directory")
    file = resolve_document(settings.documents_root, collection.source, path[len(prefix):])
    return FileResponse(
        file, filename=file.name, content_disposition_type="attachment",
        # Some documents are private: keep them out of the browser's disk cache.
        headers={"Content-Security-Policy": DOCUMENT_CSP, "Cache-Control": "no-store"},
    )
