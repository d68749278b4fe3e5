"""Embedding: the model registry and the embedder vecpipe serves."""

from semantik.shared.embedding.embedder import (
    Embedder,
    LoadedModel,
    ModelUnavailableError,
    PrecisionError,
    l2_normalise,
    model_source_problem,
    resolve_device,
    resolve_precision,
)
from semantik.shared.embedding.registry import (
    MODELS,
    ModelSpec,
    UnknownModelError,
    canonical,
    lookup,
    packaged_path,
    require,
)

__all__ = [
    "MODELS",
    "Embedder",
    "LoadedModel",
    "ModelSpec",
    "ModelUnavailableError",
    "PrecisionError",
    "UnknownModelError",
    "canonical",
    "l2_normalise",
    "model_source_problem",
    "lookup",
    "packaged_path",
    "require",
    "resolve_device",
    "resolve_precision",
]
