"""Liveness, readiness and Prometheus metrics: open to the local scraper, no API key."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response, status

from semantik.shared.api import StrictJSONRoute
from semantik.shared.metrics import CONTENT_TYPE
from semantik.shared.schemas import HealthResponse
from semantik.shared.vectorstore import StoreError

router = APIRouter(tags=["health"], route_class=StrictJSONRoute)


@router.get("/livez", response_model=HealthResponse)
async def livez() -> HealthResponse:
    return HealthResponse(status="ok")


@router.get(
    "/readyz",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse}},
)
async def readyz(request: Request, response: Response) -> HealthResponse:
    services = getattr(request.app.state, "services", None)
    checks: dict[str, str] = {}
    if services is None:
        checks["model"] = "not loaded"
        checks["store"] = "not open"
    else:
        checks["model"] = f"{services.model_name} on {services.embedder.info.device}"
        try:
            await asyncio.to_thread(services.store.ping)
            checks["store"] = f"{services.store.kind} ok"
        except StoreError as exc:
            checks["store"] = str(exc)
    ready = services is not None and checks["store"].endswith(" ok")
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthResponse(status="ready" if ready else "not ready", checks=checks)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE)
