"""Liveness, readiness, Prometheus metrics and /api/about."""

from __future__ import annotations

import platform
import sqlite3
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from semantik import __version__
from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.shared.release import current_release
from semantik.webui.db import connect, schema_version
from semantik.webui.deps import CurrentUser, Settings_, Vecpipe
from semantik.webui.errors import SemantikError
from semantik.webui.schemas import AboutOut, HealthOut

router = APIRouter(tags=["health"], route_class=StrictJSONRoute)


@router.get("/livez", response_model=HealthOut)
def livez() -> HealthOut:
    return HealthOut(status="ok")


@router.get("/readyz", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def readyz(settings: Settings_, vecpipe: Vecpipe) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        conn = connect(settings.database_path)
        try:
            schema_version(conn)
        finally:
            conn.close()
        checks["database"] = "ok"
    except sqlite3.Error as exc:
        checks["database"] = f"error: {exc}"
    checks["vecpipe"] = "ok" if await vecpipe.readyz() else "unreachable or not ready"
    ok = all(v == "ok" for v in checks.values())
    body = HealthOut(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    from semantik.shared.metrics import CONTENT_TYPE

    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE)


def _version_of(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


@router.get("/api/about", response_model=AboutOut, responses=error_responses(401))
async def about(_: CurrentUser, settings: Settings_, vecpipe: Vecpipe) -> AboutOut:
    about = AboutOut(
        version=__version__, release=current_release().name, python=platform.python_version(),
        vecpipe="unreachable",
        documents_root=str(settings.documents_root),
        components={p: _version_of(p) for p in ("fastapi", "uvicorn", "tokenizers", "pypdf")},
    )
    try:
        served = await vecpipe.served_model()
    except SemantikError:
        return about
    return about.model_copy(
        update={
            "vecpipe": "ok", "model": served.name, "dimension": served.dimension,
            "device": served.device, "precision": served.precision,
        }
    )
