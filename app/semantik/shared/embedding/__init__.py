"""Embedding: the model registry and the embedder vecpipe serves."""

from semantik.shared.embedding.embedder import (
    Embedder,
    LoadedModel,
    PrecisionError,
    l2_normalise,
    resolve_device,
    resolve_precision,
)
from semantik.shared.embedding.registry import (
    MODELS,
    ModelSpec,
    UnknownModelError,
    canonical,
    lookup,
    require,
)

__all__ = [
    "MODELS",
    "Embedder",
    "LoadedModel",
    "ModelSpec",
    "PrecisionError",
    "UnknownModelError",
    "canonical",
    "l2_normalise",
    "lookup",
    "require",
    "resolve_device",
    "resolve_precision",
]
