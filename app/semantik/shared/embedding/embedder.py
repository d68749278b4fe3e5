"""Loading the embedding model and turning texts into L2-normalised float32 vectors.

Precision handling, measured on this project's CPUs (see bench/bench_vecpipe.py):
- CPU bfloat16 runs the float32 weights under ``torch.autocast('cpu', bfloat16)``: ~2x faster where
  the CPU has AVX-512 bf16/AMX, cosine to float32 ~0.9999.
- CPU int8 is refused: torch's per-tensor dynamic int8 lost ~18% cosine on MiniLM, and even the
  per-channel variant measured here gave cosine 0.976 to float32 while running *slower* than
  float32 (49 vs 131 passages/s) - it buys nothing on these CPUs. bfloat16 is the fast CPU path.
- CUDA runs float16 (or bfloat16) weights; CUDA int8 loads 8-bit weights through bitsandbytes
  when that package is installed (not shipped, verified only on GPU hosts), else it is refused.

Tokenisation goes through the fast tokenizer's Rust backend straight to int64 arrays: with a small
model on a GPU, transformers' conversion of tokenizer output to tensors was most of encode's time
(and Python holding the interpreter lock that vecpipe's event loop needs). Models without a fast
tokenizer keep SentenceTransformer.encode.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from semantik.shared.embedding.registry import ModelSpec, lookup, packaged_path, require

if TYPE_CHECKING:
    from semantik.shared.settings import Settings

log = logging.getLogger(__name__)

TextKind = Literal["query", "passage"]
PRECISIONS = ("float32", "float16", "bfloat16", "int8")


class ModelUnavailableError(RuntimeError):
    """The model is not on this machine and cannot be downloaded; the message says what to set."""


def model_source_problem(settings: Settings) -> str | None:
    """Why vecpipe could not load its model, found before anything heavy starts: one line for
    ``semantik serve vecpipe`` to print, or None. A model that is neither a directory, nor an
    installed package, nor in the cache can still be downloaded, unless the hub is off."""
    spec = lookup(settings.model_name)
    if settings.model_path is not None:
        path = settings.model_path
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            return f"SEMANTIK_MODEL_PATH={path} holds no model (no config.json or modules.json)"
        return None
    if spec is None:
        try:
            require(settings.model_name)
        except ValueError as exc:
            return str(exc)
    if packaged_path(spec) is not None:
        return None
    offline = any(os.environ.get(v) == "1" for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
    if offline and not _in_hub_cache(spec.name, settings.resolved_model_cache_dir):
        hint = f" or install its package ({spec.package})" if spec.package else ""
        return (
            f"model {spec.name} is not on this machine and the hub is off (HF_HUB_OFFLINE): "
            f"set SEMANTIK_MODEL_PATH to its directory{hint}"
        )
    return None


def _in_hub_cache(name: str, cache_dir: Path) -> bool:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(name, "config.json", cache_dir=str(cache_dir))
    return isinstance(found, str)


class PrecisionError(ValueError):
    """The requested precision cannot run on the chosen device."""


def resolve_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise ValueError("SEMANTIK_DEVICE=cuda but torch sees no CUDA device")
    return requested


def cpu_supports_bf16() -> bool:
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(requested: str, device: str) -> str:
    if requested == "auto":
        if device == "cuda":
            return "float16"
        return "bfloat16" if cpu_supports_bf16() else "float32"
    if requested not in PRECISIONS:
        raise PrecisionError(f"unknown precision {requested!r}; choose one of {PRECISIONS}")
    if device == "cpu" and requested == "float16":
        raise PrecisionError(
            "float16 is not offered on CPU (slow and lossy there); use bfloat16 or float32"
        )
    if device == "cpu" and requested == "int8":
        raise PrecisionError(
            "int8 is not offered on CPU: measured here it lost quality (cosine 0.976 per-channel, "
            "0.82 per-tensor) and ran slower than float32; use bfloat16 (lossless, ~2x faster)"
        )
    if (
        device == "cuda"
        and requested == "int8"
        and importlib.util.find_spec("bitsandbytes") is None
    ):
        raise PrecisionError(
            "int8 on CUDA needs the bitsandbytes package; install it or use float16"
        )
    return requested


@dataclass(frozen=True)
class LoadedModel:
    spec: ModelSpec
    device: str
    precision: str
    source: str  # directory or hub name it was loaded from


class Embedder:
    """One loaded SentenceTransformer. ``encode`` is serialised by a lock: callers that want
    throughput go through vecpipe's batching queue, which hands it whole batches."""

    def __init__(self, model, info: LoadedModel, batch_size: int) -> None:
        self._model = model
        self.info = info
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._tokenizer = _rust_tokenizer(model)  # None: no fast tokenizer, ST's encode is used

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        return cls.load(
            name=settings.model_name,
            path=settings.model_path,
            cache_dir=settings.resolved_model_cache_dir,
            device=settings.device,
            precision=settings.precision,
            batch_size=settings.batch_size,
        )

    @classmethod
    def load(
        cls,
        name: str,
        path: Path | str | None = None,
        cache_dir: Path | str | None = None,
        device: str = "auto",
        precision: str = "auto",
        batch_size: int = 32,
    ) -> Embedder:
        spec = lookup(name)
        if spec is None and path is None:
            require(name)  # raises UnknownModelError with the list of known models
        if path is None and spec is not None:
            path = packaged_path(spec)  # an installed model package beats a download
        dev = resolve_device(device)
        prec = resolve_precision(precision, dev)

        from sentence_transformers import SentenceTransformer

        if path is not None:
            path = Path(path)
            if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
                raise FileNotFoundError(f"model directory {path} holds no model (no config.json)")
            # A local directory must never trigger a hub request (air-gapped hosts, tests).
            os.environ["HF_HUB_OFFLINE"] = "1"
            model = SentenceTransformer(
                str(path), device=dev, local_files_only=True, model_kwargs=_load_kwargs(dev, prec)
            )
            source = str(path)
        else:
            try:
                model = SentenceTransformer(
                    name,
                    device=dev,
                    cache_folder=str(cache_dir) if cache_dir else None,
                    model_kwargs=_load_kwargs(dev, prec),
                )
            except OSError as exc:  # no network, no cached copy: say what to set, in one line
                raise ModelUnavailableError(
                    f"cannot load model {name!r}: it is neither in the cache {cache_dir} nor "
                    f"downloadable from the Hugging Face hub ({type(exc).__name__}); set "
                    "SEMANTIK_MODEL_PATH to a directory holding it"
                    + (f", or install its package {spec.package!r}" if spec and spec.package
                       else "")
                ) from None
            source = name

        loaded_dim = int(model.get_embedding_dimension())
        if spec is None:
            spec = ModelSpec(
                name=name,
                dimension=loaded_dim,
                pooling=_pooling_of(model),
                max_seq_length=int(model.max_seq_length),
            )
        elif spec.dimension != loaded_dim:
            raise ValueError(
                f"model at {source} has dimension {loaded_dim}, but the registry says {name} "
                f"has {spec.dimension}: SEMANTIK_MODEL_NAME does not match SEMANTIK_MODEL_PATH"
            )
        model.max_seq_length = min(int(model.max_seq_length), spec.max_seq_length)
        spec = replace(spec, max_seq_length=int(model.max_seq_length))
        _apply_precision(model, dev, prec)
        log.info("loaded model %s from %s on %s as %s", spec.name, source, dev, prec)
        return cls(model, LoadedModel(spec, dev, prec, source), batch_size)

    # -- use ----------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.info.spec.name

    @property
    def dimension(self) -> int:
        return self.info.spec.dimension

    def encode(self, texts: list[str], kind: TextKind = "passage") -> np.ndarray:
        """Vectors as float32 rows of unit length, in the order of ``texts``."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        prefix = self.info.spec.query_prefix if kind == "query" else self.info.spec.passage_prefix
        if prefix:
            texts = [prefix + t for t in texts]
        if self._tokenizer is None:
            with self._lock, self._autocast():
                vectors = self._model.encode(
                    texts,
                    batch_size=self.batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=False,
                    show_progress_bar=False,
                )
            return l2_normalise(np.asarray(vectors, dtype=np.float32))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            for rows, features, _ in self._batches(texts):
                vectors[rows] = self._forward(features)["sentence_embedding"].float().cpu().numpy()
        return l2_normalise(vectors)

    def encode_with_sentences(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors of ``texts`` (as ``encode``) and, from the same forward pass, one
        vector per [start, end) character span of each text: the mean of the contextual token
        vectors inside the span, unit length ("late chunking"). The answer sentence of a chunk is
        then chosen by comparing these with the query, with no model work at search time. A span
        with no token inside (cut off by the model's length limit) gets a zero vector."""
        dim = self.dimension
        if not texts:
            return np.zeros((0, dim), dtype=np.float32), []
        if self._tokenizer is None:
            raise RuntimeError(f"model {self.name} has no fast tokenizer (needed for offsets)")
        shift = len(self.info.spec.passage_prefix or "")
        if shift:
            texts = [self.info.spec.passage_prefix + t for t in texts]
        vectors = np.zeros((len(texts), dim), dtype=np.float32)
        pooled: list[np.ndarray] = [np.zeros((0, dim), dtype=np.float32)] * len(texts)
        with self._lock:
            for rows, features, offsets in self._batches(texts, with_offsets=True):
                out = self._forward(features)
                vectors[rows] = out["sentence_embedding"].float().cpu().numpy()
                tokens = out["token_embeddings"].float().cpu().numpy()
                mask = features["attention_mask"].cpu().numpy() > 0
                for j, i in enumerate(rows):
                    pooled[i] = _pool_spans(tokens[j], offsets[j], mask[j], spans[i], shift)
        return l2_normalise(vectors), [l2_normalise(p) for p in pooled]

    def _batches(self, texts: list[str], with_offsets: bool = False):
        """(row indices, model features on the device, character offsets or None) per batch of
        ``batch_size`` texts, longest first as SentenceTransformer.encode does, so that each batch
        pads to similar lengths. Arrays come from the Rust tokenizer without Python per token."""
        import torch

        names = self._model.tokenizer.model_input_names
        device = self._model.device
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for at in range(0, len(texts), self.batch_size):
            rows = order[at : at + self.batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in rows])
            arrays = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            }
            if "token_type_ids" in names:
                arrays["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
            features = {k: torch.from_numpy(v).to(device) for k, v in arrays.items()}
            offsets = (
                np.array([e.offsets for e in encodings], dtype=np.int64) if with_offsets else None
            )
            yield rows, features, offsets

    def _forward(self, features: dict) -> dict:
        import torch

        with self._autocast(), torch.inference_mode():
            return self._model(features)

    def tokenizer_json(self) -> str:
        """The fast tokenizer as tokenizer.json text (webui chunks by model tokens with it)."""
        tokenizer = self._model.tokenizer
        backend = getattr(tokenizer, "backend_tokenizer", None) or getattr(
            tokenizer, "_tokenizer", None
        )
        if backend is None:
            raise RuntimeError(f"model {self.name} has no fast tokenizer")
        return backend.to_str()

    def _autocast(self):
        if self.info.device == "cpu" and self.info.precision == "bfloat16":
            import torch

            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()


def _rust_tokenizer(model):
    """A copy of the model's fast tokenizer backend set up as SentenceTransformer tokenises
    (truncate to max_seq_length, pad to the longest of a batch); None when it has none or the
    model has a default prompt. A copy, so the transformers tokenizer keeps its own settings."""
    from tokenizers import Tokenizer

    hf = getattr(model, "tokenizer", None)
    backend = getattr(hf, "backend_tokenizer", None)
    # A default prompt is prepended by SentenceTransformer.encode: leave such models to it.
    if backend is None or getattr(model, "default_prompt_name", None):
        return None
    tokenizer = Tokenizer.from_str(backend.to_str())
    tokenizer.enable_truncation(
        int(model.max_seq_length), strategy="longest_first",
        direction=getattr(hf, "truncation_side", "right"),
    )
    tokenizer.enable_padding(
        direction=getattr(hf, "padding_side", "right"),
        pad_id=hf.pad_token_id or 0,
        pad_type_id=getattr(hf, "pad_token_type_id", 0) or 0,
        pad_token=hf.pad_token or "[PAD]",
    )
    return tokenizer


def _pool_spans(
    tokens: np.ndarray, offsets: np.ndarray, mask: np.ndarray,
    spans: list[tuple[int, int]], shift: int,
) -> np.ndarray:
    """Mean token vector per character span (special and padding tokens excluded); a span with
    no token inside gets zeros. One matrix product for all spans of the text: a loop per span
    cost ~0.5 ms of Python per chunk, as much as the GPU's forward pass of it."""
    if not spans:
        return np.zeros((0, tokens.shape[1]), dtype=np.float32)
    starts, ends = offsets[:, 0], offsets[:, 1]
    real = mask & (ends > starts)
    bounds = np.asarray(spans, dtype=np.int64) + shift
    inside = (
        real[None, :]
        & (starts[None, :] >= bounds[:, :1])
        & (ends[None, :] <= bounds[:, 1:])
    ).astype(np.float32)
    counts = inside.sum(axis=1, keepdims=True)
    return (inside @ tokens.astype(np.float32, copy=False)) / np.maximum(counts, 1.0)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # An all-zero row (cannot happen with real text, but keep it finite) stays zero.
    return vectors / np.maximum(norms, 1e-12)


def _pooling_of(model) -> str:
    for module in model:
        mode = getattr(module, "pooling_mode", None)
        if mode:
            return str(mode)
    return "unknown"


def _load_kwargs(device: str, precision: str) -> dict:
    if device == "cuda" and precision == "int8":
        from transformers import BitsAndBytesConfig

        return {"quantization_config": BitsAndBytesConfig(load_in_8bit=True)}
    return {}


def _apply_precision(model, device: str, precision: str) -> None:
    import torch

    # CPU bfloat16 keeps float32 weights and runs under autocast (see Embedder._autocast);
    # CUDA int8 was quantised at load time (_load_kwargs).
    if device == "cuda":
        if precision == "float16":
            model.half()
        elif precision == "bfloat16":
            model.to(torch.bfloat16)
