"""Directories under the documents root, for choosing a collection's source."""

from __future__ import annotations

from fastapi import APIRouter, Query

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.webui.deps import AdminUser, Settings_
from semantik.webui.paths import list_directories
from semantik.webui.schemas import SourcesOut

router = APIRouter(
    prefix="/api/sources", tags=["sources"], route_class=StrictJSONRoute,
    responses=error_responses(400, 401, 403, 404),
)


@router.get("", response_model=SourcesOut)
def list_sources(
    _: AdminUser, settings: Settings_,
    path: str = Query("", max_length=4096, description="Directory relative to the root."),
) -> SourcesOut:
    return SourcesOut(path=path, directories=list_directories(settings.documents_root, path))
