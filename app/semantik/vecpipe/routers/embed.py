"""Raw embeddings (L2-normalised) through the shared batching queue."""

from __future__ import annotations

from fastapi import APIRouter

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.shared.schemas import EmbedRequest, EmbedResponse
from semantik.vecpipe.deps import ServicesDep

router = APIRouter(
    tags=["embed"], route_class=StrictJSONRoute,
    responses=error_responses(413),
)


@router.post("/embed", response_model=EmbedResponse)
async def embed(body: EmbedRequest, services: ServicesDep) -> EmbedResponse:
    vectors = await services.batcher.embed(body.texts, body.kind)
    return EmbedResponse(
        model=services.model_name, dimension=services.embedder.dimension, vectors=vectors.tolist()
    )
