"""What vecpipe builds at startup and every request uses: the model, the store, the queue."""

from __future__ import annotations

from dataclasses import dataclass

from semantik.shared.embedding import Embedder, canonical
from semantik.shared.metrics import VecpipeMetrics
from semantik.shared.settings import Settings
from semantik.shared.vectorstore import VectorStore
from semantik.shared.vectorstore.bm25 import Bm25Encoder
from semantik.vecpipe.batching import EmbedBatcher
from semantik.vecpipe.optimizer import IndexBuilder


@dataclass
class Services:
    settings: Settings
    metrics: VecpipeMetrics
    embedder: Embedder
    store: VectorStore
    batcher: EmbedBatcher
    index_builder: IndexBuilder
    bm25: Bm25Encoder

    @property
    def model_name(self) -> str:
        return self.embedder.name

    def same_model(self, name: str) -> bool:
        """True when ``name`` (or its registry alias) is the served model."""
        return canonical(name) == self.embedder.name
