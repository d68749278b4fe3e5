"""The model registry and the served model's tokenizer."""

from __future__ import annotations

from fastapi import APIRouter, Response

from semantik.shared.api import StrictJSONRoute
from semantik.shared.embedding import MODELS
from semantik.shared.schemas import ModelInfo, ModelsResponse
from semantik.vecpipe.deps import ServicesDep

router = APIRouter(tags=["models"], route_class=StrictJSONRoute)


@router.get("/models", response_model=ModelsResponse)
async def list_models(services: ServicesDep) -> ModelsResponse:
    served = services.embedder.info
    specs = dict(MODELS)
    specs[served.spec.name] = served.spec  # a model loaded from a path may not be registered
    models = []
    for spec in specs.values():
        loaded = spec.name == served.spec.name
        models.append(
            ModelInfo(
                name=spec.name,
                dimension=spec.dimension,
                pooling=spec.pooling,
                max_seq_length=spec.max_seq_length,
                memory_mib=spec.memory_mib,
                loaded=loaded,
                device=served.device if loaded else None,
                precision=served.precision if loaded else None,
            )
        )
    models.sort(key=lambda m: (not m.loaded, m.name))
    return ModelsResponse(models=models)


@router.get("/tokenizer", response_class=Response)
async def tokenizer(services: ServicesDep) -> Response:
    """tokenizer.json of the served model: webui chunks by model tokens without torch."""
    return Response(services.embedder.tokenizer_json(), media_type="application/json")
